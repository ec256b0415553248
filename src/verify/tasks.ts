/**
 * The work of the keypoint check, cut into tasks that can run on any thread in any order: preparing an
 * image (half size, mirrored, blurred), the photometric agreement of a pair as they are, ORB features
 * of an image, and the match of a pair (Hamming ratio test, RANSAC homography, agreement after warping).
 * The images live in one {@link ImageStore} backed by SharedArrayBuffers, so worker threads read them
 * without copies; ORB features are computed once per image and handed to every thread.
 *
 * Why any order is safe: every task is a pure function of its inputs. OpenCV's RANSAC
 * (`findHomography`, `RANSACPointSetRegistrator::run` in calib3d/src/ptsetreg.cpp) seeds a fresh
 * generator on every call (`RNG rng((uint64)-1)`), so it does not depend on earlier calls; checked on
 * the build we ship: 28 of 40 noisy point sets give another inlier count when their points are
 * reordered (the draws matter), and 0 of 40 change after other fits ran in between
 * (test/verify/verify-workers.test.ts keeps a smaller form of that check).
 */
import { GeometricVerifier, contentInside, detailGrid, flipGray, mirrorDetailGrid, type OrbFeatures } from './geometric';
import { alignedAgreement, halveGray, scaleHomography, smoothGray } from './photometric';

/** The shared buffers of an {@link ImageStore} (what a worker thread receives). */
export interface StoreBuffers {
  /** Side (px) of the gray images analysed for keypoints (even). */
  side: number;
  /** Number of image slots. */
  slots: number;
  gray: SharedArrayBuffer;
  half: SharedArrayBuffer;
  halfFlipped: SharedArrayBuffer;
  smooth: SharedArrayBuffer;
  smoothFlipped: SharedArrayBuffer;
}

/**
 * Gray images for the keypoint check, one slot per image: the `side`² image ORB reads, its half-size
 * image and mirror (what the agreement compares), and those blurred as the agreement blurs them.
 * Memory: 3.5 × side² bytes per slot (358 KB at 320 px), held once for all threads, as the single-threaded
 * check held the same images per row; it grows with the number of images in checked pairs.
 */
export class ImageStore {
  readonly side: number;
  readonly halfSide: number;
  constructor(readonly buffers: StoreBuffers) {
    this.side = buffers.side;
    this.halfSide = buffers.side >> 1;
  }

  /** Allocates the shared buffers for `slots` images at `side` px. */
  static create(slots: number, side: number): ImageStore {
    const h = (side >> 1) * (side >> 1);
    return new ImageStore({
      side,
      slots,
      gray: new SharedArrayBuffer(slots * side * side),
      half: new SharedArrayBuffer(slots * h),
      halfFlipped: new SharedArrayBuffer(slots * h),
      smooth: new SharedArrayBuffer(slots * h * 4),
      smoothFlipped: new SharedArrayBuffer(slots * h * 4),
    });
  }

  gray(slot: number): Uint8Array {
    const n = this.side * this.side;
    return new Uint8Array(this.buffers.gray, slot * n, n);
  }
  half(slot: number, flipped: boolean): Uint8Array {
    const n = this.halfSide * this.halfSide;
    return new Uint8Array(flipped ? this.buffers.halfFlipped : this.buffers.half, slot * n, n);
  }
  smooth(slot: number, flipped: boolean): Float32Array {
    const n = this.halfSide * this.halfSide;
    return new Float32Array(flipped ? this.buffers.smoothFlipped : this.buffers.smooth, slot * n * 4, n);
  }
}

/** Thresholds of the keypoint check (see VerifyOptions). */
export interface CheckSettings {
  minInliers: number;
  minCoverage: number;
  /** Least share of one image inside the other under the homography (`./geometric.ts`, `containment`). */
  minContainment: number;
  minAgreement: number;
  minIdentity: number;
  /** ORB's low-contrast fallback (`./geometric.ts`, `LOW_CONTRAST_FAST_THRESHOLD`); false: FAST at 20 only. */
  lowContrast: boolean;
}

/** A task: what to do on a list of slots (images) or slot pairs. */
export type Task =
  /** Half-size images, their mirrors and their blurred forms, written into the store. */
  | { kind: 'prepare'; slots: number[] }
  /** Agreement of each pair as they are, then with the second mirrored; stops at the first that passes. */
  | { kind: 'identity'; pairs: [number, number][] }
  /** ORB features of each slot's image (or of its mirror). */
  | { kind: 'orb'; flipped: boolean; slots: number[] }
  /**
   * Match of each pair's plain first image with the plain (or mirrored) second one; the third number of a pair is
   * the least inliers it needs, under which no homography is fitted (the verdict cannot pass on fewer matches).
   */
  | { kind: 'match'; flipped: boolean; pairs: [number, number, number][] };

/** Result of one item of a task; `error` when it failed (that item only). */
export type ItemResult =
  | { error: string }
  | null // prepare
  | { agreement: number; flipped: boolean; verified: boolean } // identity
  | OrbFeatures // orb
  | { matches: number; inliers: number; coverage: number; containment: number; agreement: number; inside: [number, number] }; // match

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * The state of one thread doing tasks: the store, the settings, ORB features it was given, and (for
 * the keypoint tasks) an OpenCV verifier of its own.
 */
export class TaskRunner {
  readonly features = new Map<number, OrbFeatures>();
  readonly featuresFlipped = new Map<number, OrbFeatures>();
  /** Detail grids keyed 2 × slot (+1 for the mirror). */
  private readonly details = new Map<number, Uint8Array>();
  private verifier: GeometricVerifier | null = null;

  constructor(readonly store: ImageStore, readonly settings: CheckSettings) {}

  /** Loads OpenCV for this thread (once). @throws NeardupError (`unsupported`) when it cannot load. */
  async ready(): Promise<void> {
    // Only an explicit false turns the fallback off (the default is on, as in VerifyOptions).
    this.verifier ??= await GeometricVerifier.load(this.settings.lowContrast === false ? { lowContrastThreshold: false } : {});
  }

  /** Features computed elsewhere (by another thread), for the match tasks. */
  addFeatures(flipped: boolean, entries: [number, OrbFeatures][]): void {
    const m = flipped ? this.featuresFlipped : this.features;
    for (const [slot, f] of entries) m.set(slot, f);
  }

  /** Runs every item of `task`; an item that throws (OpenCV raises numbers) gives `{ error }`. */
  run(task: Task): ItemResult[] {
    const items: readonly unknown[] = task.kind === 'prepare' || task.kind === 'orb' ? task.slots : task.pairs;
    return items.map((item) => {
      try {
        switch (task.kind) {
          case 'prepare': this.prepare(item as number); return null;
          case 'identity': return this.identity(...(item as [number, number]));
          case 'orb': return this.orb(item as number, task.flipped);
          case 'match': return this.match(...(item as [number, number, number]), task.flipped);
        }
      } catch (err) {
        return { error: err instanceof Error ? err.message : `OpenCV error ${String(err)}` };
      }
    });
  }

  private prepare(slot: number): void {
    const s = this.store;
    const half = halveGray(s.gray(slot), s.side, s.side);
    s.half(slot, false).set(half);
    const mirrored = flipGray(half, s.halfSide, s.halfSide);
    s.half(slot, true).set(mirrored);
    s.smooth(slot, false).set(smoothGray(half, s.halfSide, s.halfSide));
    s.smooth(slot, true).set(smoothGray(mirrored, s.halfSide, s.halfSide));
  }

  /** Tile agreement of `a` with `b` (mirrored when `flipped`) after the homography `h` (half-size pixels). */
  private agreement(a: number, b: number, h: readonly number[], flipped: boolean): number {
    const s = this.store;
    const n = s.halfSide;
    return alignedAgreement(s.half(a, false), n, n, s.half(b, flipped), n, n, h, {
      smoothedA: s.smooth(a, false),
      smoothedB: h === IDENTITY ? s.smooth(b, flipped) : undefined,
    }).agreeing;
  }

  private identity(a: number, b: number): { agreement: number; flipped: boolean; verified: boolean } {
    let last = { agreement: 0, flipped: false, verified: false };
    for (const flipped of [false, true]) {
      const agreement = this.agreement(a, b, IDENTITY, flipped);
      last = { agreement, flipped, verified: agreement >= this.settings.minIdentity };
      if (last.verified) break;
    }
    return last;
  }

  private orb(slot: number, flipped: boolean): OrbFeatures {
    const s = this.store;
    const g = s.gray(slot);
    // A copy, not a view of the shared buffer: OpenCV copies it into its own heap anyway.
    return this.verifier!.features(flipped ? flipGray(g, s.side, s.side) : Uint8Array.from(g), s.side, s.side);
  }

  /** The {@link detailGrid} of a slot's gray image (or of its mirror), once per slot and orientation. */
  private detail(slot: number, flipped: boolean): Uint8Array {
    const key = 2 * slot + (flipped ? 1 : 0);
    let d = this.details.get(key);
    if (!d) {
      d = flipped ? mirrorDetailGrid(this.detail(slot, false)) : detailGrid(this.store.gray(slot), this.store.side, this.store.side);
      this.details.set(key, d);
    }
    return d;
  }

  private match(a: number, b: number, need: number, flipped: boolean): { matches: number; inliers: number; coverage: number; containment: number; agreement: number; inside: [number, number] } {
    const fa = this.features.get(a);
    const fb = (flipped ? this.featuresFlipped : this.features).get(b);
    if (!fa || !fb) throw new Error(`features of slot ${fa ? b : a} were not computed`);
    const m = this.verifier!.match(fa, fb, need);
    const o = this.settings;
    const geometric = m.inliers >= o.minInliers && m.coverage >= o.minCoverage && m.containment >= o.minContainment;
    // Agreement after warping: only when the keypoints pass (the verdict needs it then, and only then).
    const agreement = o.minAgreement > 0 && geometric && m.homography ? this.agreement(a, b, scaleHomography(m.homography, 0.5), flipped) : NaN;
    // Which one holds the other's content, for the keep order (src/dedup/groups.ts `heldInside`): only where it can count.
    const side = this.store.side;
    const inside: [number, number] = geometric && m.homography ? contentInside(m.homography, side, side, side, side, this.detail(a, false), this.detail(b, flipped)) : [NaN, NaN];
    return { matches: m.matches, inliers: m.inliers, coverage: m.coverage, containment: m.containment, agreement, inside };
  }
}
