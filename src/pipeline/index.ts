/** The scan orchestration: `scan(dataset, options)` → {@link ScanResult}, and writing its outputs. */
export * from './scan';
export * from './write';
