/**
 * Oracle `zap-order`: when KVM recycles shadow pages (make_mmu_pages_available(), the
 * original mmu_shrink_scan()), kvm_mmu_zap_oldest_mmu_pages() must zap the oldest page
 * it may zap (any but an active root) first. A zap that picks a page while an older
 * zappable page stays throws away a hot, newly built translation and keeps a cold one:
 * the bug "KVM: x86: Zap the oldest MMU pages, not the newest" fixed. Ages are the
 * pages' birth numbers, independent of the list the iterator walks.
 */
import { reportViolation } from '../rt/oracle.js';

export interface ZapCandidate {
  /** The kvm_mmu_page's object number. */
  sp: number;
  level: number;
  /** The how-manieth shadow page of its VM it is. */
  birth: number;
}

/**
 * `picked` is the page the iterator chose to zap; `oldest` the oldest zappable page of
 * the same VM at that moment. A violation unless they are the same page.
 */
export function checkZapOrder(task: string, site: string, vm: string, picked: ZapCandidate, oldest: ZapCandidate, iterator: string, used: number, max: number): void {
  if (picked.sp === oldest.sp) return;
  reportViolation('zap-order', `${task}: ${site}() zaps shadow page #${picked.birth} (level ${picked.level}) of ${vm} while the older #${oldest.birth} (level ${oldest.level}) stays`, [
    `active_mmu_pages holds the newest page at its head and the oldest at its tail; this walk went ${iterator}`,
    `shadow page #${oldest.birth} is the oldest page that is not an active root: it should have gone first`,
    `${vm}: ${used} shadow pages in use, n_max_mmu_pages ${max}`,
  ]);
}
