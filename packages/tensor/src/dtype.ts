/** Element types a tensor can hold. `int32` doubles as the boolean type of masks (0 / 1). */
export type DType = 'float32' | 'int32';

export type TypedArray = Float32Array | Int32Array;

export const DTYPES: readonly DType[] = ['float32', 'int32'];

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32';
}

/** The typed array constructor that holds a dtype on the host. */
export function arrayFor(dtype: DType, size: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
}

export function dtypeOfArray(a: TypedArray): DType {
  return a instanceof Int32Array ? 'int32' : 'float32';
}

/** Type promotion for binary arithmetic: any float makes the result float. */
export function promote(a: DType, b: DType): DType {
  return a === 'float32' || b === 'float32' ? 'float32' : 'int32';
}
