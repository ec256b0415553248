/** Pixels: decode + resize (sharp, plus BMP/Netpbm readers), raw-array preprocessing, normalisation, thumbnails. */
export { decodeImage, decodeImageFile, decodeForModel, openImage, readImageFile, describeDecodeError, DEFAULT_MAX_PIXELS, type DecodeOptions, type DecodeResult, type NativePixels } from './decode';
export { decodeBmp } from './bmp';
export { decodePnm } from './pnm';
export type { RawImage } from './raw';
export { arrayImageToRgb, writeArrayImageToTensor } from './array';
export { IMAGENET_MEAN, IMAGENET_STD, normalisationTables, rgbToTensor, writeRgbToTensor, type Normalisation } from './preprocess';
export { thumbnailPng } from './thumbnail';
export { imageCount, arrayPixels, isEncoded, filePaths, readEncoded, encodedSizes, encodedBytesOrNull, hashEncoded, type ArrayPixels, type EncodedRead } from './source';
