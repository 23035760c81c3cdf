/**
 * The reference a shopper is given for a suspicious-pack report and staff find it by: `R-` and the
 * report record's ledger sequence number in six digits ("R-000123"). A bare "1" reads like a count,
 * not a reference; the fixed width and prefix make it one to quote to staff or the hotline, and the
 * manager page shows the same reference on the alert.
 */
export function reportReference(seq: number): string {
  return `R-${String(seq).padStart(6, '0')}`;
}
