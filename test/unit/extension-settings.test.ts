// `raptor.*` settings → engine config, and the manifest that declares them.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, parseConfig } from '../../src/engine/config';
import { readIndexConfigInput, RESTRICTED_SETTINGS, usesRemoteProvider } from '../../src/extension/settingsInput';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const properties: Record<string, { default?: unknown }> = manifest.contributes.configuration.properties;

/** A WorkspaceConfiguration.get over package.json defaults, with overrides. */
function settings(overrides: Record<string, unknown> = {}) {
  return {
    get(key: string): unknown {
      const full = `raptor.${key}`;
      return full in overrides ? overrides[full] : properties[full]?.default;
    },
  };
}

describe('extension settings', () => {
  it('the manifest defaults give exactly the engine defaults', () => {
    assert.deepEqual(parseConfig(readIndexConfigInput(settings()), 'raptor.'), parseConfig({}));
  });

  it('reads every setting it maps, including provider.*', () => {
    const input = readIndexConfigInput(settings({ 'raptor.chunkTokens': 200, 'raptor.provider.baseUrl': 'http://127.0.0.1:9/v1', 'raptor.provider.tokenBudget': 5000 }));
    const config = parseConfig(input, 'raptor.');
    assert.equal(config.chunkTokens, 200);
    assert.equal(config.provider.baseUrl, 'http://127.0.0.1:9/v1');
    assert.equal(config.provider.tokenBudget, 5000);
  });

  it('an invalid value is reported in one sentence naming the setting', () => {
    assert.throws(
      () => parseConfig(readIndexConfigInput(settings({ 'raptor.chunkTokens': 3, 'raptor.summarizer': 'gpt' })), 'raptor.'),
      (e: Error) => e instanceof ConfigError && /raptor\.chunkTokens/.test(e.message) && /raptor\.summarizer/.test(e.message) && !e.message.includes('\n'),
    );
  });

  it('declares every setting that can reach a server as restricted in untrusted workspaces', () => {
    const declared = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.deepEqual([...declared].sort(), [...RESTRICTED_SETTINGS].sort());
    for (const key of declared) assert.ok(key in properties, `${key} is a contributed setting`);
    assert.equal(usesRemoteProvider(parseConfig({})), false);
    assert.equal(usesRemoteProvider(parseConfig({ summarizer: 'openai:gpt-4o-mini' })), true);
  });

  it('every contributed command has a palette rule and an RAPTOR category', () => {
    const palette = new Set(manifest.contributes.menus.commandPalette.map((m: { command: string }) => m.command));
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'RAPTOR');
      if (!['raptor.openDashboard', 'raptor.setApiKey'].includes(c.command)) assert.ok(palette.has(c.command), `${c.command} has a when clause`);
    }
  });
});
