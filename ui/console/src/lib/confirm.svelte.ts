// The one confirmation dialog: `ask(message)` opens it and resolves to the answer.
export const pending = $state({ message: '', open: false });
let answer: ((yes: boolean) => void) | null = null;

export function ask(message: string): Promise<boolean> {
  pending.message = message;
  pending.open = true;
  return new Promise((resolve) => (answer = resolve));
}

export function settle(yes: boolean): void {
  pending.open = false;
  answer?.(yes);
  answer = null;
}
