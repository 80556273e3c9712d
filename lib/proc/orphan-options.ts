/**
 * The keys of {@link OrphanOptions}, shared by findOrphans, findZombies and findDaemons.
 * @internal
 */
import { optionKeys } from '../validate';
import type { OrphanOptions } from './orphans';

/** @internal */
export const ORPHAN_OPTION_KEYS = optionKeys<OrphanOptions>({ procfs: true, procfsFixture: true, subreapers: true });
