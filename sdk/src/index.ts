// @duet/sdk: the typed API client generated from Duet's OpenAPI document, and webhook verification.
// `@duet/sdk/fetch` is the client alone (browser-safe); `@duet/sdk/webhooks` the receiving side.
export * from './client.ts';
export * from './webhooks.ts';
