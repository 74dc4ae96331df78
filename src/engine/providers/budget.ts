// The task's optional token budget. A call reserves its worst case (prompt + max completion) before it is sent,
// so any number of concurrent calls can never overshoot; it then settles to what the provider actually billed.
// Constructed with the tokens the task has already used, so the budget survives pause/resume and restarts.
import { BudgetExceededError } from './errors';

export interface BudgetReservation {
  readonly tokens: number;
  /** The call finished: count what was billed instead of the reservation. Idempotent with cancel(). */
  settle(actualTokens: number): void;
  /** The call was not billed (failed before an answer, aborted): give the reservation back. */
  cancel(): void;
}

export class TokenBudget {
  private usedTokens: number;
  private reservedTokens = 0;

  constructor(
    private limitTokens: number,
    tokensAlreadyUsed = 0,
    private readonly settingHint?: string,
  ) {
    this.usedTokens = tokensAlreadyUsed;
  }

  get limit(): number {
    return this.limitTokens;
  }
  get used(): number {
    return this.usedTokens;
  }
  get reserved(): number {
    return this.reservedTokens;
  }
  get remaining(): number {
    return Math.max(0, this.limitTokens - this.usedTokens - this.reservedTokens);
  }

  /** Raise (or lower) the limit, e.g. after the user raised raptor.provider.tokenBudget; then resume the task. */
  setLimit(limitTokens: number): void {
    this.limitTokens = limitTokens;
  }

  /**
   * Start counting from what the current task has spent (its durable token count): when a run starts, which may be
   * a new task (after a reset) in an index that stays open. Calls still reserved keep their reservation.
   */
  setUsed(tokens: number): void {
    this.usedTokens = Math.max(0, tokens);
  }

  /** Count tokens spent outside reserve/settle (e.g. by another provider of the same task). */
  addUsed(tokens: number): void {
    this.usedTokens += Math.max(0, tokens);
  }

  /** Reserve `tokens` or throw BudgetExceededError (with tokens used so far) if that could exceed the limit. */
  reserve(tokens: number): BudgetReservation {
    const want = Math.max(0, Math.ceil(tokens));
    if (this.usedTokens + this.reservedTokens + want > this.limitTokens) {
      throw new BudgetExceededError(this.limitTokens, this.usedTokens, this.settingHint);
    }
    this.reservedTokens += want;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.reservedTokens -= want;
      return true;
    };
    return {
      tokens: want,
      settle: (actual: number) => {
        if (close()) this.usedTokens += Math.max(0, actual);
      },
      cancel: () => void close(),
    };
  }
}
