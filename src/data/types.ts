/** An image decoded to 8-bit pixels, row-major, `channels` values per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** One example. Images decode lazily so a large folder is never all in memory at once. */
export interface Example {
  /** Stable identity: repo-relative path (image-folder), "file#line" (csv, jsonl) or "file#index" (idx). */
  id: string;
  label: number;
  /** sha256 of the example's content; keys the feature cache and the test-set fingerprint. */
  sha256: string;
  image?: () => DecodedImage;
  /** image-folder: the checked absolute path, so a feature worker can read and decode it itself. */
  file?: string;
  /** Numeric features (csv). */
  values?: Float32Array;
  /** The raw text (text-classification). */
  text?: string;
}

export interface Dataset {
  classes: string[];
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Files that could not be decoded and were left out. */
  skipped: string[];
}
