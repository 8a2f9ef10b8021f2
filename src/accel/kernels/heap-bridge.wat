;; Copies between TF.js wasm backend's heap (a plain memory) and our shared memory, where helper
;; threads work on copies of a product's operands (shared-kernels.ts). memory.copy runs at memcpy
;; speed: about 21-29 GB/s here, against about 5 GB/s for a typed array's set() between a plain and
;; a shared buffer. It needs WebAssembly multi-memory (Node 22 and later); where the module does
;; not validate, the copies fall back to set(). Compiled by scripts/build-kernels.mjs.
(module
  (import "env" "heap" (memory $heap 1))
  (import "env" "shared" (memory $shared 1 65536 shared))

  (func (export "toShared") (param $to i32) (param $from i32) (param $bytes i32)
    (memory.copy $shared $heap (local.get $to) (local.get $from) (local.get $bytes)))

  (func (export "toHeap") (param $to i32) (param $from i32) (param $bytes i32)
    (memory.copy $heap $shared (local.get $to) (local.get $from) (local.get $bytes))))
