/** The Keys & record panel's own state: the key section's element, and its action under way. */
export interface KeyPanel {
  readonly el: HTMLElement;
  /** An action (sealing, unlocking, registering…) is under way: its buttons are disabled. */
  busy: boolean;
  /** What the last action said, and its error. */
  message: string;
  error: string;
}
