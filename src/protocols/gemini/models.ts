// `GET /v1beta/models` and `GET /v1beta/models/{model}` for Gemini clients (gemini.md §8.1;
// ai.google.dev/api/models): the configured model names as Google `Model` resources, paged with
// pageSize (default 50, at most 1000) and an opaque pageToken.

import { GatewayError } from '../../core/errors.ts';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

export interface GeminiModel {
  name: string;
  baseModelId: string;
  version: string;
  displayName: string;
  description: string;
  supportedGenerationMethods: string[];
}

export function geminiModel(name: string): GeminiModel {
  return {
    name: `models/${name}`,
    baseModelId: name,
    version: '001',
    displayName: name,
    description: `${name}, served by sluice`,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}

export function listGeminiModels(names: readonly string[], query: URLSearchParams): string {
  const sizeText = query.get('pageSize') ?? query.get('page_size');
  let size = DEFAULT_PAGE;
  if (sizeText !== null && sizeText !== '') {
    size = Number(sizeText);
    if (!Number.isInteger(size) || size < 0) throw new GatewayError('invalid_request', `Invalid value for pageSize: ${JSON.stringify(sizeText)}`, { param: 'pageSize' });
    if (size === 0) size = DEFAULT_PAGE;
  }
  size = Math.min(size, MAX_PAGE);
  const token = query.get('pageToken') ?? query.get('page_token') ?? '';
  let start = 0;
  if (token !== '') {
    start = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new GatewayError('invalid_request', 'Invalid pageToken', { param: 'pageToken' });
  }
  const sorted = [...names].sort();
  const page = sorted.slice(start, start + size).map(geminiModel);
  const body: { models: GeminiModel[]; nextPageToken?: string } = { models: page };
  if (start + size < sorted.length) body.nextPageToken = Buffer.from(String(start + size), 'utf8').toString('base64url');
  return JSON.stringify(body);
}

export function getGeminiModel(names: readonly string[], model: string): string {
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  if (!names.includes(name)) throw new GatewayError('model_not_found', `models/${name} is not found for API version v1beta, or is not supported`);
  return JSON.stringify(geminiModel(name));
}
