/**
 * `neardup model add-embedding <in.onnx> --tensor <name> -o <out.onnx>`: model surgery that exposes a
 * pooled embedding output (see src/onnx/surgery.ts), then checks the result runs in onnxruntime.
 * `neardup model classify <image...>`: top-5 ImageNet classes, a sanity check of the model files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { NeardupError } from '../errors';
import { modelOption } from './options';
import { addEmbeddingOutput } from '../onnx/surgery';
import { dequantizeModel } from '../onnx/dequantize';
import { writeFileAtomicSync } from '../frame/atomic';
import { EmbeddingModel, defaultModelConfig, resolveModelConfig } from '../embed/model';
import { decodeImageFile } from '../images/decode';
import { rgbToTensor } from '../images/preprocess';

function sizeList(v: string): number[] {
  const sizes = v.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 16 || s > 1024)) {
    throw new InvalidArgumentError(`expected comma-separated sizes from 16 to 1024 such as 224,128, got '${v}'.`);
  }
  return sizes;
}

function layoutArg(v: string): 'NCHW' | 'NHWC' {
  if (v !== 'NCHW' && v !== 'NHWC') throw new InvalidArgumentError(`expected NCHW or NHWC, got '${v}'.`);
  return v;
}

/** Runs the written model once per size on a blank batch of 2 and returns the embedding shapes. */
async function checkRuns(path: string, outName: string, sizes: number[], layout: 'NCHW' | 'NHWC', inputName?: string): Promise<string[]> {
  const session = await ort.InferenceSession.create(path);
  const input = inputName ?? session.inputNames[0];
  const lines: string[] = [];
  try {
    for (const s of sizes) {
      const dims = layout === 'NCHW' ? [2, 3, s, s] : [2, s, s, 3];
      const t = new ort.Tensor('float32', new Float32Array(2 * 3 * s * s), dims);
      try {
        const out = await session.run({ [input]: t }, [outName]);
        lines.push(`  ${s}x${s} px: ${outName} [${out[outName].dims.join(', ')}]`);
      } catch (err) {
        throw new NeardupError(`the new model does not run at ${s}x${s} px: ${String((err as Error).message).split('\n')[0]} (try --check-sizes with the size the model was built for, or --keep-size)`);
      }
    }
  } finally {
    await session.release();
  }
  return lines;
}

export function register(program: Command): void {
  const model = program.command('model').description('Work with embedding models (ONNX)');

  model
    .command('add-embedding')
    .description('Add a mean-pooled embedding output to an ONNX CNN and free its input size')
    .argument('<in.onnx>', 'the source model (not modified)')
    .requiredOption('--tensor <name>', '4-D feature-map tensor to pool, e.g. 627 for the bundled MobileNetV2')
    .requiredOption('-o, --out <out.onnx>', 'where to write the new model')
    .option('--out-name <name>', 'name of the new output', 'embedding')
    .option('--layout <layout>', 'NCHW or NHWC (which axes are spatial)', layoutArg, 'NCHW')
    .option('--input <name>', 'image input to free (default: the first graph input)')
    .option('--keep-size', 'keep the input height and width fixed')
    .option('--check-sizes <list>', 'input sizes to test-run the new model at', sizeList)
    .action(async (inPath: string, o: { tensor: string; out: string; outName: string; layout: 'NCHW' | 'NHWC'; input?: string; keepSize?: boolean; checkSizes?: number[] }) => {
      if (!existsSync(inPath)) throw new NeardupError(`<in.onnx> ${inPath}: file not found`);
      if (resolve(inPath) === resolve(o.out)) throw new NeardupError(`--out ${o.out}: must differ from the input model (inputs are never modified)`);
      const res = addEmbeddingOutput(inPath, { tensor: o.tensor, outName: o.outName, layout: o.layout, input: o.input, freeInputSize: !o.keepSize }, o.out);
      const sizes = o.checkSizes ?? (o.keepSize ? [] : [224, 128]);
      const lines = sizes.length ? await checkRuns(o.out, o.outName, sizes, o.layout, o.input) : [];
      process.stdout.write(
        [
          `wrote ${o.out} (${res.bytes.toLocaleString('en-US')} bytes, sha256 ${res.sha256.slice(0, 16)}…)`,
          `outputs: ${res.outputs.join(', ')}`,
          ...(lines.length ? ['checked with onnxruntime:', ...lines] : []),
          '',
        ].join('\n'),
      );
    });

  model
    .command('dequantize')
    .description('Write the float-activation form of an int8 (QOperator) ONNX model: same weights, CPU-independent results')
    .argument('<in.onnx>', 'the int8 model (not modified)')
    .requiredOption('-o, --out <out.onnx>', 'where to write the float model')
    .action(async (inPath: string, o: { out: string }) => {
      if (!existsSync(inPath)) throw new NeardupError(`<in.onnx> ${inPath}: file not found`);
      if (resolve(inPath) === resolve(o.out)) throw new NeardupError(`--out ${o.out}: must differ from the input model (inputs are never modified)`);
      const bytes = dequantizeModel(readFileSync(inPath), basename(inPath));
      writeFileAtomicSync(o.out, bytes);
      // The written file must load and keep the source's inputs and outputs.
      const session = await ort.InferenceSession.create(o.out);
      process.stdout.write(`wrote ${o.out} (${bytes.length.toLocaleString('en-US')} bytes); inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')}\n`);
      await session.release();
    });

  model
    .command('classify')
    .description('Print the top ImageNet classes for images (sanity check of the bundled model)')
    .argument('<images...>', 'image files')
    .option('--model <path>', 'an .onnx file or model config .json with a logits output (default: bundled MobileNetV2)')
    .option('--dequantize', 'run the model with float activations')
    .option('-k, --top <k>', 'classes to show', (v) => {
      const k = Number(v);
      if (!Number.isInteger(k) || k < 1 || k > 1000) throw new InvalidArgumentError(`expected an integer from 1 to 1000, got '${v}'.`);
      return k;
    }, 5)
    .action(async (images: string[], o: { model?: string; dequantize?: boolean; top: number }) => {
      // A bare .onnx path names no logits: assume the bundled model's names (output, ImageNet synsets).
      const base = defaultModelConfig();
      const chosen = resolveModelConfig(modelOption(o.model, o.dequantize));
      const m = await EmbeddingModel.load(chosen.logits ? chosen : { ...chosen, logits: base.logits, labels: base.labels });
      try {
        for (const file of images) {
          const img = await decodeImageFile(file, { size: m.config.size });
          if (!img.ok) {
            process.stdout.write(`${file}: skipped (${img.reason})\n`);
            continue;
          }
          const [top] = await m.classify(rgbToTensor(img.rgb, m.config.size, m.config), 1, o.top);
          process.stdout.write(`${file}\n${top.map((c) => `  ${(100 * c.probability).toFixed(1).padStart(5)}%  ${c.label}`).join('\n')}\n`);
        }
      } finally {
        await m.release();
      }
    });
}
