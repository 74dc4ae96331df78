// Index Workspace asks before a run that pays a provider and would exceed raptor.confirmAboveTokens.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { costQuestion, decideCostConfirmation, usesPaidProvider } from '../../src/extension/costConfirmation';
import type { CostEstimate } from '../../src/engine/raptorIndex';

function estimate(total: number, documents = 12): CostEstimate {
  const embedding = Math.round(total * 0.3);
  const completion = Math.round(total * 0.1);
  return {
    documents,
    calls: { summary: 40, embedding: 300 },
    tokens: { prompt: total - embedding - completion, completion, embedding, total },
  };
}

const openai = { summarizer: 'openai:gpt-4o-mini', embedder: 'local' };
const lm = { summarizer: 'vscode-lm:copilot/gpt-4o', embedder: 'local' };
const offline = { summarizer: 'extractive', embedder: 'local' };

describe('extension: cost confirmation before large runs', () => {
  it('never asks for the offline providers, however large the run', () => {
    assert.deepEqual(decideCostConfirmation(offline, estimate(50_000_000), 0), { ask: false });
    assert.equal(usesPaidProvider(offline), false);
  });

  it('treats openai:* (summarizer or embedder) and vscode-lm:* as paid', () => {
    assert.equal(usesPaidProvider(openai), true);
    assert.equal(usesPaidProvider(lm), true);
    assert.equal(usesPaidProvider({ summarizer: 'extractive', embedder: 'openai:text-embedding-3-small' }), true);
  });

  it('asks only above the threshold', () => {
    assert.deepEqual(decideCostConfirmation(openai, estimate(200_000), 200_000), { ask: false }, 'equal is not above');
    assert.equal(decideCostConfirmation(openai, estimate(200_001), 200_000).ask, true);
    assert.equal(decideCostConfirmation(lm, estimate(10_000), 5_000).ask, true);
    assert.equal(decideCostConfirmation(lm, estimate(10_000), 200_000).ask, false);
  });

  it('0 always asks, except when there is nothing to index', () => {
    assert.equal(decideCostConfirmation(openai, estimate(1), 0).ask, true);
    assert.equal(decideCostConfirmation(openai, estimate(0, 0), 0).ask, false);
  });

  it('says how many documents, calls and tokens, split by kind', () => {
    const d = decideCostConfirmation(openai, estimate(1_234_000, 57), 200_000, 'alpha');
    assert.ok(d.ask);
    assert.equal(
      d.message,
      'Index 57 documents in alpha: about 340 calls and 1.2M tokens (740k prompt / 123k completion / 370k embedding). Continue?',
    );
    assert.match(costQuestion(estimate(900, 1)), /^Index 1 document: about 340 calls and 900 tokens \(540 prompt \/ 90 completion \/ 270 embedding\)/);
  });

  it('the manifest declares raptor.confirmAboveTokens with default 200000 (0 = always ask)', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const p = manifest.contributes.configuration.properties['raptor.confirmAboveTokens'];
    assert.equal(p.default, 200000);
    assert.equal(p.minimum, 0);
  });
});
