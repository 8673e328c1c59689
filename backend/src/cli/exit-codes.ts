/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Everything asked for was done completely. */
  ok: 0,
  /** At least one source failed; nothing of it was replaced. */
  failed: 1,
  /** Bad usage or configuration (the message names the option or field). */
  usage: 2,
  /** Done, but some source was read only partially (the summary says why). */
  partial: 3,
} as const;
