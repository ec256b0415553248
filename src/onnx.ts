/**
 * `neardup/onnx`: ONNX model tooling behind the embedding stage: surgery that adds a pooled
 * embedding output, float-activation (dequantized) copies of int8 models, the in-graph pixel head
 * for raw arrays, and the GeM / mirror-view head (see docs/embeddings.md, docs/quality.md). The code
 * lives in src/onnx/, all on the one ONNX schema of src/onnx/proto.ts.
 */
export { addEmbeddingOutput, addEmbeddingOutputToBuffer, type AddEmbeddingOptions, type SurgeryResult } from './onnx/surgery';
export { dequantizeModel } from './onnx/dequantize';
export { addPixelHeadToBuffer, PIXEL_INPUT, type PixelHeadSpec } from './onnx/pixel-head';
export { addRobustEmbedding, addRobustEmbeddingToBuffer, type RobustEmbeddingOptions } from './onnx/robust-head';
export { EmbeddingModel, PixelHeadSession, defaultModelConfig, resolveModelConfig, type ModelConfig, type RawPixelShape } from './embed/model';
