/** Lines 1-8 of the inline specs in the spec tests; a section appended after it starts on line 9. */
export const SPEC_HEAD = `version: 1
name: demo
task: image-classification
model:
  base: models/base/model.json
data:
  format: image-folder
  train: data/train
`;
