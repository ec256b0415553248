/** DataFrame helpers and export (CSV, JSON), all written atomically. */
export * from './atomic';
export * from './table';
export * from './csv';
export * from './json';
