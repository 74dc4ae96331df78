import assert from 'node:assert/strict';
import { ConfigError } from '../../src/engine/config';
import { mergeStoredConfig } from '../../src/engine/raptorIndex';

/** A config as an index stores it (JSON), built against `baseUrl` with a remote summariser. */
const stored = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ summarizer: 'openai:gpt-test', provider: { baseUrl, apiKeyEnv: 'SOMEONE_ELSES_SECRET' }, ...extra });

describe('settings stored with an index', () => {
  it('never takes the API-key variable from the index', () => {
    const config = mergeStoredConfig(stored('http://127.0.0.1:8080/v1'), {}, {});
    assert.equal(config.provider.apiKeyEnv, 'OPENAI_API_KEY');
  });

  it('keeps a server address on this machine or a private network', () => {
    for (const url of ['http://127.0.0.1:11434/v1', 'http://localhost:8000/v1', 'http://192.168.1.20:8000/v1', 'http://10.0.0.5/v1', 'http://[::1]:8000/v1', 'http://gpu-box.local:8000/v1']) {
      assert.equal(mergeStoredConfig(stored(url), {}, {}).provider.baseUrl, url, url);
    }
  });

  it('refuses to send the key to a public address that only the index names, with a sentence saying how to go on', () => {
    assert.throws(
      () => mergeStoredConfig(stored('https://collector.example.com/v1'), {}, {}),
      (e: unknown) => e instanceof ConfigError && /built against https:\/\/collector\.example\.com\/v1/.test(e.message) && /--base-url/.test(e.message),
    );
  });

  it('uses a public address the caller gives again, or OPENAI_BASE_URL, and drops it when no remote provider is used', () => {
    const url = 'https://api.partner.example/v1';
    assert.equal(mergeStoredConfig(stored(url), { provider: { baseUrl: url } }, {}).provider.baseUrl, url);
    assert.equal(mergeStoredConfig(stored(url), {}, { OPENAI_BASE_URL: 'https://mine.example/v1' }).provider.baseUrl, undefined);
    const local = mergeStoredConfig(stored(url), { summarizer: 'extractive' }, {});
    assert.equal(local.provider.baseUrl, undefined);
    assert.equal(local.summarizer, 'extractive');
  });

  it('keeps every other stored setting as the base', () => {
    const config = mergeStoredConfig(stored('http://127.0.0.1:1/v1', { chunkTokens: 240, seed: 7 }), { seed: 9 }, {});
    assert.equal(config.chunkTokens, 240);
    assert.equal(config.seed, 9);
    assert.equal(config.summarizer, 'openai:gpt-test');
  });
});
