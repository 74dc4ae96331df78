// Errors the providers raise. Each message is one sentence a user can act on; the runner shows it as is.

/** A provider call failed for good (not retryable, or out of attempts). The document fails; the task goes on. */
export class ProviderError extends Error {
  constructor(
    message: string,
    /** HTTP status of the last attempt, when there was one. */
    readonly status?: number,
    /** Attempts made, first try included. */
    readonly attempts = 1,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The task's token budget would be exceeded by the next call. The runner pauses the task with this message. */
export class BudgetExceededError extends Error {
  constructor(
    readonly limit: number,
    readonly used: number,
    settingHint = 'raise raptor.provider.tokenBudget / --token-budget to continue',
  ) {
    super(`Token budget of ${fmt(limit)} reached (${fmt(used)} used); ${settingHint}.`);
    this.name = 'BudgetExceededError';
  }
}

/** The user has not (yet) allowed this extension to use the chosen VS Code language model. The runner pauses the task. */
export class ConsentRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsentRequiredError';
  }
}

/**
 * Errors that mean "stop the task and wait for the user" rather than "this document failed".
 * Checked by name because errors cross the worker boundary as plain {name, message}.
 */
export function isPausingError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'BudgetExceededError' || e.name === 'ConsentRequiredError');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
