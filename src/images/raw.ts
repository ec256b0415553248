/** Uncompressed 8-bit pixels, interleaved (RGBRGB… or one byte per pixel when channels = 1). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}
