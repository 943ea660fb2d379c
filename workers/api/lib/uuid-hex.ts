/** A UUID as 32 hex digits (for ids embedded in tokens and paths) and back. */
export const uuidHex = (uuid: string) => uuid.replaceAll("-", "");

export const uuidFromHex = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
