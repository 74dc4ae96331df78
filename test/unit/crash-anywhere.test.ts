// Issue 5, end to end: SIGKILL the real `raptor index` process at 20 seeded-random moments (most of them inside a
// document's tree build, with LLM calls in flight), resume each time, and check that nothing completed is ever
// lost, that the final index is exactly an uninterrupted run's, and that the only calls paid twice are the ones
// that were in flight when the process died.
import { strict as assert } from 'assert';
import { makeCorpus, rmrf, shortestAddresses } from '../support/fakes';
import { startOpenAIServer, type OpenAIServer } from '../support/openaiServer';
import {
  cliLauncher,
  exportLines,
  raptor,
  repeatedCalls,
  requestsInFlight,
  seededRandom,
  startRaptor,
  statusJson,
  until,
  type StatusJson,
} from '../support/childRun';

const KILLS = 20;
const MAX_IN_FLIGHT = 4;
const DOCS = 24; // enough calls (~210 uninterrupted) that 20 kills of at most ~10 requests each cannot finish the corpus

type Phase = 'startup' | 'tree-build' | 'between-calls' | 'finished-first';

interface KillRecord {
  n: number;
  trigger: string;
  phase: Phase;
  inFlightAtKill: number;
  requestsThisRun: number;
  completedBefore: number;
  completedAfter: number;
}

function flags(url: string): string[] {
  return ['--summarizer', 'openai:m', '--base-url', url, '--max-in-flight', String(MAX_IN_FLIGHT), '--concurrency', '2'];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash: SIGKILL at 20 random moments, resume each time', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  const servers: OpenAIServer[] = [];
  before(async () => {
    await cliLauncher();
  });
  after(async () => {
    dirs.splice(0).forEach(rmrf);
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('loses no completed document, repeats only in-flight calls, and ends with the uninterrupted export', async () => {
    const docs = shortestAddresses(DOCS);

    // The reference: the same corpus, indexed once without interruption against its own (identical) server.
    const refServer = await startOpenAIServer({ latencyMs: 30 });
    servers.push(refServer);
    const reference = makeCorpus(docs);
    dirs.push(reference);
    const ref = await raptor(['index', reference, ...flags(refServer.url)]);
    assert.equal(ref.code, 0, ref.stderr);
    const expected = await exportLines(reference);
    const referenceCalls = refServer.stats.requests;

    const server = await startOpenAIServer({ latencyMs: 30 });
    servers.push(server);
    const root = makeCorpus(docs);
    dirs.push(root);

    const rand = seededRandom(20260505);
    const kills: KillRecord[] = [];
    const everCompleted = new Set<string>();
    let last: StatusJson | undefined;
    for (let n = 1; n <= KILLS; n++) {
      const before = server.stats.requests;
      const abortsBefore = server.stats.clientAborts;
      const completedBefore = last?.completed_documents ?? 0;
      const child = await startRaptor(['index', root, ...flags(server.url)]);
      // One kill in five at a random time from spawn (it may land in start-up or synchronisation); the rest after a
      // random number of LLM requests plus a random few milliseconds, which lands them inside tree builds.
      let trigger: string;
      if (rand() < 0.2) {
        const ms = Math.floor(rand() * 1500);
        trigger = `${ms} ms after spawn`;
        await Promise.race([sleep(ms), child.exited]);
      } else {
        const k = 1 + Math.floor(rand() * 10);
        const jitter = Math.floor(rand() * 200);
        trigger = `${k} request(s) + ${jitter} ms`;
        await Promise.race([until(() => server.stats.requests - before >= k, 60_000), child.exited]);
        await Promise.race([sleep(jitter), child.exited]);
      }
      const inFlightAtKill = requestsInFlight(server.stats);
      const finishedFirst = child.child.exitCode !== null;
      const result = await child.killHard();
      if (finishedFirst) assert.equal(result.code, 0, `run ${n} ended on its own but not cleanly:\n${result.stderr}`);
      // The kill closes the sockets; let the server notice before reading its counters.
      await sleep(20);

      // Every document the child reported done had its completion committed before the line was printed.
      const reportedDone = [...result.stderr.matchAll(/^done (.+)$/gm)].map((m) => m[1]);
      const now = await statusJson(root);
      const completed = new Set(now.documents.filter((d) => d.state === 'completed').map((d) => d.path));
      for (const p of reportedDone) assert.ok(completed.has(p), `kill ${n}: ${p} was reported done but is not completed`);
      for (const p of everCompleted) assert.ok(completed.has(p), `kill ${n}: ${p} was completed before and is lost now`);
      for (const p of completed) everCompleted.add(p);
      for (const d of now.documents) {
        assert.ok(['pending', 'completed'].includes(d.state), `kill ${n}: ${d.path} is ${d.state} after a kill`);
        if (d.state === 'completed') assert.ok(d.nodes > d.chunks && d.chunks > 0, `kill ${n}: ${d.path} completed without its tree`);
        else assert.equal(d.nodes, 0, `kill ${n}: pending ${d.path} has nodes`);
      }

      const requestsThisRun = server.stats.requests - before;
      const grewPartial = now.documents.some((d) => {
        if (d.state === 'completed') return false;
        const prev = last?.documents.find((x) => x.path === d.path);
        return d.token_count.total > (prev?.token_count.total ?? 0);
      });
      const abortedAtKill = server.stats.clientAborts - abortsBefore;
      const phase: Phase = finishedFirst
        ? 'finished-first'
        : requestsThisRun === 0
          ? 'startup'
          : inFlightAtKill > 0 || abortedAtKill > 0 || grewPartial
            ? 'tree-build'
            : 'between-calls';
      kills.push({ n, trigger, phase, inFlightAtKill: Math.max(inFlightAtKill, abortedAtKill), requestsThisRun, completedBefore, completedAfter: now.completed_documents });
      last = now;
      if (finishedFirst) break;
    }

    const final = await raptor(['index', root, ...flags(server.url)]);
    assert.equal(final.code, 0, final.stderr);
    const end = await statusJson(root);
    assert.equal(end.completed_documents, docs.length);
    for (const p of everCompleted) assert.ok(end.documents.find((d) => d.path === p)?.state === 'completed');

    const repeats = repeatedCalls(server.stats);
    const inFlightSum = kills.reduce((s, k) => s + k.inFlightAtKill, 0);
    const phases = kills.reduce<Record<string, number>>((m, k) => ((m[k.phase] = (m[k.phase] ?? 0) + 1), m), {});
    console.log('      kill log:');
    for (const k of kills) {
      console.log(
        `        #${String(k.n).padStart(2)} ${k.trigger.padEnd(22)} ${k.phase.padEnd(14)} in flight ${k.inFlightAtKill}, ` +
          `${k.requestsThisRun} request(s) this run, completed ${k.completedBefore} → ${k.completedAfter}`,
      );
    }
    console.log(
      `      phases ${JSON.stringify(phases)}; server calls ${server.stats.requests} (uninterrupted run: ${referenceCalls}); ` +
        `repeated calls ${repeats} (in flight at the kills: ${inFlightSum}; bound ${MAX_IN_FLIGHT} × ${kills.length} = ${MAX_IN_FLIGHT * kills.length})`,
    );

    assert.equal(kills.length, KILLS, 'the corpus outlasted every kill (otherwise later kills would test nothing)');
    assert.ok((phases['tree-build'] ?? 0) >= 10, `only ${phases['tree-build'] ?? 0} of ${KILLS} kills landed inside a tree build`);
    assert.ok(repeats <= MAX_IN_FLIGHT * kills.length, `${repeats} calls repeated; at most ${MAX_IN_FLIGHT} were in flight at each of ${kills.length} kills`);
    assert.equal(await exportLines(root), expected, 'the resumed index equals the uninterrupted one');
  });
});
