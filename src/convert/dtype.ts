/**
 * The element types a checkpoint tensor may have (safetensors spelling, which the PyTorch reader
 * maps to) and their sizes. Pure data; the codecs for the float ones are in ./float16.ts.
 */

/** A safetensors dtype name; other strings are kept so a header can name types we do not read. */
export type StDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8' | 'I8' | 'BOOL' | string;

/** Bytes per element of every dtype the safetensors spec defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
