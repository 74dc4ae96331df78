import assert from 'node:assert/strict';
import { ConfigError } from '../../src/engine/config';
import { mergeStoredConfig } from '../../src/engine/raptorIndex';

/** A config as an index stores it (JSON), built against `baseUrl` with a remote summariser. */
const stored = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ summarizer: 'openai:gpt-test', provider: { baseUrl, apiKeyEnv: 'SOMEONE_ELSES_SECRET' }, ...extra });
const refusedFor = (url: string) => (e: unknown) =>
  e instanceof ConfigError && e.message.includes(`built against ${url}`) && /--base-url/.test(e.message);

describe('settings stored with an index', () => {
  it('never takes the API-key variable from the index', () => {
    const config = mergeStoredConfig(stored('http://127.0.0.1:8080/v1'), {}, {});
    assert.equal(config.provider.apiKeyEnv, 'OPENAI_API_KEY');
  });

  it('keeps a server address on this machine when nothing else names one', () => {
    for (const url of ['http://127.0.0.1:11434/v1', 'http://localhost:8000/v1', 'http://[::1]:8000/v1', 'http://127.3.2.1/v1']) {
      assert.equal(mergeStoredConfig(stored(url), {}, {}).provider.baseUrl, url, url);
    }
  });

  it('refuses to send the key to any other address that only the index names (private networks included), with a sentence saying how to go on', () => {
    for (const url of ['https://collector.example.com/v1', 'http://192.168.1.20:8000/v1', 'http://10.0.0.5/v1', 'http://gpu-box.local:8000/v1', 'http://127.0.0.1.nip.io/v1']) {
      assert.throws(() => mergeStoredConfig(stored(url), {}, {}), refusedFor(url), url);
    }
  });

  it("the caller's address wins, then OPENAI_BASE_URL, then a stored one on this machine", () => {
    const url = 'https://api.partner.example/v1';
    assert.equal(mergeStoredConfig(stored(url), { provider: { baseUrl: url } }, {}).provider.baseUrl, url);
    assert.equal(mergeStoredConfig(stored('http://127.0.0.1:9/v1'), { provider: { baseUrl: url } }, {}).provider.baseUrl, url);
    // OPENAI_BASE_URL over a stored loopback address: the factory then uses the environment's
    assert.equal(mergeStoredConfig(stored('http://127.0.0.1:9/v1'), {}, { OPENAI_BASE_URL: url }).provider.baseUrl, undefined);
    // the same server in the environment as in the index: fine
    assert.equal(mergeStoredConfig(stored(url), {}, { OPENAI_BASE_URL: url }).provider.baseUrl, undefined);
    // another server in the environment would silently switch servers (and rebuild every tree): asked instead
    assert.throws(() => mergeStoredConfig(stored(url), {}, { OPENAI_BASE_URL: 'https://mine.example/v1' }), refusedFor(url));
  });

  it('drops a foreign address without refusing when no remote provider is used, or when opening read-only', () => {
    const url = 'https://api.partner.example/v1';
    const local = mergeStoredConfig(stored(url), { summarizer: 'extractive' }, {});
    assert.equal(local.provider.baseUrl, undefined);
    assert.equal(local.summarizer, 'extractive');
    assert.equal(mergeStoredConfig(stored(url), {}, {}, { readOnly: true }).provider.baseUrl, undefined);
  });

  it('keeps every other stored setting as the base', () => {
    const config = mergeStoredConfig(stored('http://127.0.0.1:1/v1', { chunkTokens: 240, seed: 7 }), { seed: 9 }, {});
    assert.equal(config.chunkTokens, 240);
    assert.equal(config.seed, 9);
    assert.equal(config.summarizer, 'openai:gpt-test');
  });

  it('an index built in another folder does not choose a paid provider unless the caller names it again', () => {
    const copied = stored('http://127.0.0.1:8080/v1');
    assert.throws(
      () => mergeStoredConfig(copied, {}, {}, { builtIn: '/home/someone/else' }),
      (e: unknown) => e instanceof ConfigError && /built in \/home\/someone\/else with the summarizer openai:gpt-test/.test(e.message) && /--summarizer/.test(e.message),
    );
    assert.equal(mergeStoredConfig(copied, { summarizer: 'openai:gpt-test' }, {}, { builtIn: '/home/someone/else' }).summarizer, 'openai:gpt-test');
    assert.equal(mergeStoredConfig(copied, {}, {}, { builtIn: '/home/someone/else', readOnly: true }).summarizer, 'openai:gpt-test');
    assert.equal(mergeStoredConfig(copied, {}, {}).summarizer, 'openai:gpt-test', 'in its own folder it resumes as built');
  });
});
