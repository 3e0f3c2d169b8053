export * from './request.ts';
export * from './events.ts';
export * from './response.ts';
export * from './errors.ts';
export * from './protocol.ts';
export * from './normalize.ts';
export * from './ids.ts';
