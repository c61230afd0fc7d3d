/**
 * What both encoders leave out: Go's `omitempty` zero values in JSON and proto3's default
 * values on the proto wire are the same set (undefined and null stand for "not set").
 */
export function isZero(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}
