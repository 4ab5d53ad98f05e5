/**
 * validate: check the read fields against the rules the card obeys, and where the pixels were ambiguous use
 * those rules and the recogniser's per-character alternatives to pick the consistent reading (the spec's
 * `EnableRecognitionRectify` idea). A clearly printed value is never replaced by a derived one: demo and
 * specimen cards carry numbers with a wrong check character or a birth date that disagrees with the number,
 * and the API returns what is printed.
 *
 * Rules: GB 11643-1999 (check character, birth date, sex parity), GB/T 2260 region prefix (soft: abolished
 * codes stay on cards for life, domain.md), the 56 nations, real calendar dates, validity `…-长期`, and the
 * real place names an address starts with and an authority is named after (../domain/placeNames.ts).
 */
import { isRealDate, formatApiBirth, formatDotted, type YMD } from '../domain/dates.ts';
import { idCheckChar, isValidIdChecksum, parseIdNumber } from '../domain/idNumber.ts';
import { isKnownNation, NATIONS } from '../domain/nations.ts';
import { clearReading, rectifyAddress, rectifyAuthority, type CharReading, type PlaceHint } from '../domain/placeNames.ts';
import { isKnownProvincePrefix, isKnownRegionCode, regionByCode } from '../domain/regions.ts';
import { LONG_TERM } from '../domain/validity.ts';
import type { CardKind, IdField, IdInfo, StageContext, TextLine } from './types.ts';

/** A character whose best reading is at least this probable counts as clearly printed: never changed. */
export const CLEAR_CHAR_PROB = 0.9;
/** An alternative must have at least this probability to be considered at all. */
const MIN_ALTERNATIVE_PROB = 0.02;

/** Look-alikes the general recogniser produces inside the number (OCR-B digits vs letters). */
const ID_CONFUSABLES: Record<string, string> = {
  O: '0', o: '0', D: '0', Q: '0', U: '0', '〇': '0', 'о': '0',
  I: '1', l: '1', i: '1', '|': '1', '丨': '1', L: '1', '!': '1', T: '7',
  Z: '2', z: '2', S: '5', s: '5', G: '6', b: '6', B: '8', g: '9', q: '9',
  x: 'X', K: 'X', k: 'X', '×': 'X', 'Χ': 'X', '乂': 'X',
};

function toIdChar(c: string): string {
  const mapped = ID_CONFUSABLES[c] ?? c;
  return mapped.toUpperCase();
}

/** Per-position candidates of the number line, restricted to 0-9/X and merged after mapping look-alikes. */
function idCandidates(line: Pick<TextLine, 'text' | 'chars' | 'confidence'>): Array<Array<{ char: string; prob: number }>> {
  const text = [...line.text];
  const aligned = line.chars.length === text.length;
  const out: Array<Array<{ char: string; prob: number }>> = [];
  for (let i = 0; i < text.length; i++) {
    const raw = aligned ? line.chars[i].candidates : [{ char: text[i], prob: line.confidence }];
    const merged = new Map<string, number>();
    for (const c of raw) {
      const m = toIdChar(c.char);
      if (!/^[0-9X]$/.test(m)) continue;
      merged.set(m, Math.max(merged.get(m) ?? 0, c.prob));
    }
    if (merged.size === 0) {
      // Separators, spaces and stray marks between digits are not part of the number.
      if (!/[0-9A-Za-z]/.test(text[i])) continue;
      merged.set(toIdChar(text[i]), aligned ? (raw[0]?.prob ?? 0) : line.confidence);
    }
    out.push([...merged.entries()].map(([char, prob]) => ({ char, prob })).sort((a, b) => b.prob - a.prob));
  }
  return out;
}

/** Plausibility of an 18-character number beyond the checksum: real birth date, not in the future, known region. */
function idPlausibility(id: string, now: Date): number {
  const p = parseIdNumber(id);
  if (!p) return 0;
  let score = 1;
  if (!isRealDate(p.birth) || p.birth.year < 1880 || p.birth.year > now.getUTCFullYear()) score *= 0.05;
  if (!isKnownProvincePrefix(p.region)) score *= 0.3;
  else if (!isKnownRegionCode(p.region)) score *= 0.7;
  return score;
}

export interface IdNumberReading {
  /** The 18-character number, or undefined when none could be read with the right shape. */
  value?: string;
  /** True when the checksum holds. */
  valid: boolean;
  /** True when validation changed an ambiguous character. */
  corrected: boolean;
}

/**
 * Reads the number line and, where some characters were ambiguous, picks the consistent reading.
 * Only characters whose best probability is below CLEAR_CHAR_PROB may change, and only to an alternative the
 * recogniser itself offered; a collapsed repeated digit (CTC merges "11" without a blank between) may be
 * restored. A clearly printed number with a wrong check character is returned as printed.
 */
export function correctIdNumber(line: Pick<TextLine, 'text' | 'chars' | 'confidence'>, now: Date = new Date()): IdNumberReading {
  const cands = idCandidates(line);
  const best = cands.map((c) => c[0].char).join('');
  const scoreOf = (chars: string[], positions: Array<{ char: string; prob: number }[]>) => {
    let s = 1;
    for (let i = 0; i < chars.length; i++) s *= positions[i].find((c) => c.char === chars[i])?.prob ?? 1e-4;
    return s;
  };

  if (best.length === 18) {
    if (/^\d{17}[\dX]$/.test(best) && isValidIdChecksum(best) && idPlausibility(best, now) >= 0.3) {
      return { value: best, valid: true, corrected: false };
    }
    // Ambiguous positions and the alternatives offered there.
    const ambiguous: number[] = [];
    for (let i = 0; i < 18; i++) if (cands[i][0].prob < CLEAR_CHAR_PROB) ambiguous.push(i);
    const options = cands.map((c, i) => (ambiguous.includes(i) ? c.filter((a) => a.prob >= MIN_ALTERNATIVE_PROB) : [c[0]]));
    const tried: Array<{ id: string; score: number }> = [];
    const baseChars = [...best];
    // Single and double substitutions among the ambiguous positions (a card rarely has more doubtful digits).
    const consider = (chars: string[]) => {
      const id = chars.join('');
      if (!/^\d{17}[\dX]$/.test(id) || !isValidIdChecksum(id)) return;
      const plaus = idPlausibility(id, now);
      if (plaus < 0.3) return;
      tried.push({ id, score: scoreOf(chars, cands) * plaus });
    };
    for (let a = 0; a < ambiguous.length; a++) {
      const i = ambiguous[a];
      for (const alt of options[i]) {
        const c1 = [...baseChars];
        c1[i] = alt.char;
        consider(c1);
        for (let b = a + 1; b < ambiguous.length; b++) {
          const j = ambiguous[b];
          for (const alt2 of options[j]) {
            if (alt2.char === baseChars[j]) continue;
            const c2 = [...c1];
            c2[j] = alt2.char;
            consider(c2);
          }
        }
      }
    }
    // A check position with no offered alternative: when every other digit is clear and only the check
    // character is doubtful, the computed one is the consistent reading.
    if (tried.length === 0 && ambiguous.length === 1 && ambiguous[0] === 17) {
      const check = idCheckChar(best.slice(0, 17));
      if (check && idPlausibility(best.slice(0, 17) + check, now) >= 0.3) {
        return { value: best.slice(0, 17) + check, valid: true, corrected: true };
      }
    }
    if (tried.length > 0) {
      tried.sort((a, b) => b.score - a.score);
      // Accept the best consistent reading unless a second one is nearly as likely (then the pixels decide nothing).
      if (tried.length === 1 || tried[0].score > 3 * tried[1].score) {
        return { value: tried[0].id, valid: true, corrected: tried[0].id !== best };
      }
    }
    return /^\d{17}[\dX]$/.test(best) ? { value: best, valid: isValidIdChecksum(best), corrected: false } : { valid: false, corrected: false };
  }

  if (best.length === 17) {
    // CTC collapses a doubled digit when no blank frame separates the two; restore one where it makes the
    // number consistent. Only when exactly one restoration works (the checksum is 1 in 11 by chance).
    const found = new Set<string>();
    for (let i = 0; i < 17; i++) {
      const id = best.slice(0, i + 1) + best[i] + best.slice(i + 1);
      if (/^\d{17}[\dX]$/.test(id) && isValidIdChecksum(id) && idPlausibility(id, now) >= 0.7) found.add(id);
    }
    if (found.size === 1) return { value: [...found][0], valid: true, corrected: true };
    return { valid: false, corrected: false };
  }

  if (best.length === 19) {
    // A stray mark read as a digit: drop the one weakest character whose removal makes the number consistent.
    const found: Array<{ id: string; prob: number }> = [];
    for (let i = 0; i < 19; i++) {
      const id = best.slice(0, i) + best.slice(i + 1);
      if (/^\d{17}[\dX]$/.test(id) && isValidIdChecksum(id) && idPlausibility(id, now) >= 0.7) found.push({ id, prob: cands[i][0].prob });
    }
    found.sort((a, b) => a.prob - b.prob);
    if (found.length === 1 || (found.length > 1 && found[0].prob < CLEAR_CHAR_PROB && found[1].prob >= CLEAR_CHAR_PROB)) {
      return { value: found[0].id, valid: true, corrected: true };
    }
  }
  return { valid: false, corrected: false };
}

// ---------------------------------------------------------------------------------------------------------
// Birth: the card prints `1990 年 3 月 7 日`; the API answers `1990/3/7`.

/** Parses the printed birth line into a date, tolerating lost or misread 年/月/日 and spaces. */
export function parsePrintedBirth(text: string): YMD | null {
  const t = text.replace(/[OoDQ]/g, '0').replace(/[Il|]/g, '1');
  const groups: string[] = t.match(/\d+/g) ?? [];
  if (groups.length >= 3 && groups[0].length === 4) {
    const d = { year: +groups[0], month: +groups[1], day: +groups[2] };
    return groups[1].length <= 2 && groups[2].length <= 2 ? d : null;
  }
  const digits = groups.join('');
  if (groups.length === 2 && groups[0].length === 4) {
    // Month and day ran together (年 lost between them is fine, but 月 lost): try both splits.
    const rest = groups[1];
    const year = +groups[0];
    const options: YMD[] = [];
    if (rest.length === 2) options.push({ year, month: +rest[0], day: +rest[1] });
    if (rest.length === 3) options.push({ year, month: +rest.slice(0, 1), day: +rest.slice(1) }, { year, month: +rest.slice(0, 2), day: +rest.slice(2) });
    if (rest.length === 4) options.push({ year, month: +rest.slice(0, 2), day: +rest.slice(2) });
    const real = options.filter(isRealDate);
    return real.length === 1 ? real[0] : null;
  }
  if (digits.length === 8) {
    const d = { year: +digits.slice(0, 4), month: +digits.slice(4, 6), day: +digits.slice(6) };
    return isRealDate(d) ? d : null;
  }
  return null;
}

export interface BirthReading {
  value?: string;
  /** True when the printed date was unreadable and the number's birth date was used. */
  derived: boolean;
}

/**
 * The printed birth date in the API's format. The number's birth date is used only where the printed one is
 * unreadable or impossible, or where a doubtful digit alone separates the two; a clearly printed date that
 * disagrees with the number (demo cards do) is returned as printed.
 */
export function reconcileBirth(line: Pick<TextLine, 'text' | 'chars'> | undefined, idNum: string | undefined): BirthReading {
  const fromId = idNum ? parseIdNumber(idNum)?.birth : undefined;
  const idBirth = fromId && isRealDate(fromId) ? fromId : undefined;
  const printed = line ? parsePrintedBirth(line.text) : null;
  if (printed && isRealDate(printed)) {
    if (idBirth && (printed.year !== idBirth.year || printed.month !== idBirth.month || printed.day !== idBirth.day) && line) {
      // Do the differing digits sit on doubtful characters only? Then the number settles it.
      const doubtful = line.chars.length === [...line.text].length && line.chars.some((c) => /\d/.test(c.candidates[0]?.char ?? '') && (c.candidates[0]?.prob ?? 1) < CLEAR_CHAR_PROB);
      const allClear = !doubtful;
      if (!allClear && differsInOneComponent(printed, idBirth)) return { value: formatApiBirth(idBirth), derived: true };
    }
    return { value: formatApiBirth(printed), derived: false };
  }
  if (idBirth) return { value: formatApiBirth(idBirth), derived: true };
  return { derived: false };
}

function differsInOneComponent(a: YMD, b: YMD): boolean {
  return Number(a.year !== b.year) + Number(a.month !== b.month) + Number(a.day !== b.day) === 1;
}

// ---------------------------------------------------------------------------------------------------------
// Sex and Nation

/** 男/女 as printed; a doubtful character is settled by the recogniser's alternatives, then by the number's parity. */
export function reconcileSex(line: Pick<TextLine, 'text' | 'chars'> | undefined, idNum: string | undefined): string | undefined {
  const text = line?.text.replace(/\s/g, '') ?? '';
  const fromId = idNum && isValidIdChecksum(idNum) ? parseIdNumber(idNum)?.sex : undefined;
  const printed = [...text].filter((c) => c === '男' || c === '女');
  if (printed.length === 1) return printed[0];
  if (line) {
    const alts = new Map<string, number>();
    for (const c of line.chars) for (const a of c.candidates) if (a.char === '男' || a.char === '女') alts.set(a.char, Math.max(alts.get(a.char) ?? 0, a.prob));
    if (alts.size === 1) return [...alts.keys()][0];
    if (alts.size === 2) return fromId ?? ((alts.get('男') ?? 0) >= (alts.get('女') ?? 0) ? '男' : '女');
  }
  return fromId;
}

/** Levenshtein distance over Unicode code points (a CJK character is one edit, not three bytes). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/**
 * The nation as printed. Snapped to a known name only when one character differs and the recogniser offered
 * that name's character at that position; names outside the 56 (穿青人, novelty cards) are returned as read.
 */
export function reconcileNation(line: Pick<TextLine, 'text' | 'chars'> | undefined): string | undefined {
  if (!line) return undefined;
  let text = line.text.replace(/[\s:：]/g, '');
  if (text.endsWith('族') && isKnownNation(text.slice(0, -1))) text = text.slice(0, -1);
  if (text === '') return undefined;
  if (isKnownNation(text)) return text;
  const chars = [...text];
  const aligned = line.chars.length === [...line.text].length;
  const offered = (i: number, c: string) => {
    if (!aligned) return false;
    // Map index in the stripped text back to the line's characters.
    const lineChars = [...line.text];
    let k = -1;
    for (let j = 0, n = -1; j < lineChars.length; j++) {
      if (/[\s:：]/.test(lineChars[j])) continue;
      n++;
      if (n === i) {
        k = j;
        break;
      }
    }
    return k >= 0 && line.chars[k].candidates.some((a) => a.char === c && a.prob >= MIN_ALTERNATIVE_PROB);
  };
  const matches: string[] = [];
  for (const [name] of NATIONS) {
    const n = [...name];
    if (n.length !== chars.length) continue;
    const diff = n.map((c, i) => (c === chars[i] ? -1 : i)).filter((i) => i >= 0);
    if (diff.length === 1 && offered(diff[0], n[diff[0]])) matches.push(name);
  }
  return matches.length === 1 ? matches[0] : text;
}

// ---------------------------------------------------------------------------------------------------------
// Validity period (back side and temporary card)

/**
 * The validity period as `YYYY.MM.DD-YYYY.MM.DD` or `YYYY.MM.DD-长期`, whatever dash or spacing the card
 * (or the recogniser) put between the parts; undefined when the digits do not make a period.
 */
export function normalizeValidDate(text: string): string | undefined {
  const t = text.replace(/[OoDQ]/g, '0').replace(/[Il|]/g, '1').replace(/\s/g, '');
  const longTerm = /长期|长|期/.test(t);
  const groups: string[] = t.match(/\d+/g) ?? [];
  const digits = groups.join('');
  const dateOf = (d: string): YMD => ({ year: +d.slice(0, 4), month: +d.slice(4, 6), day: +d.slice(6, 8) });
  if (digits.length === 16) {
    return `${formatDotted(dateOf(digits.slice(0, 8)))}-${formatDotted(dateOf(digits.slice(8)))}`;
  }
  if (digits.length === 8 && longTerm) return `${formatDotted(dateOf(digits))}-${LONG_TERM}`;
  // Groups printed as 2008.02.14 with one dot lost still give 4+2+2 digits.
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Free-text fields

/** Middle dots in minority names come out of the recogniser as any of several dot-like characters. */
export function normalizeName(text: string): string {
  return text
    .replace(/\s+/g, '')
    // Names on the card are Chinese characters and the middle dot only; digits and Latin letters are specks
    // or the portrait's edge read as text.
    .replace(/[0-9A-Za-z]/g, '')
    .replace(/[.．•・‧∙⋅･。]/g, '·')
    .replace(/^·+|·+$/g, '');
}

export function normalizeFreeText(text: string): string {
  return text.replace(/\s+/g, '');
}

/**
 * The field's characters with the recogniser's alternatives, in reading order, spaces dropped as
 * normalizeFreeText drops them. A line whose candidates do not line up with its text counts as clearly read
 * (no alternatives: only dropped characters can then be restored). Undefined when the lines do not spell
 * `text` (the draft was assembled otherwise), so a correction never works on other characters than those
 * returned.
 */
export function readingOf(lines: ReadonlyArray<Pick<TextLine, 'text' | 'chars'>> | undefined, text: string): CharReading[] | undefined {
  if (!lines) return clearReading(text);
  const out: CharReading[] = [];
  for (const l of lines) {
    const chars = [...l.text];
    const aligned = l.chars.length === chars.length;
    chars.forEach((char, i) => {
      if (/\s/.test(char)) return;
      const cands = aligned ? l.chars[i].candidates : [];
      const top = cands[0];
      out.push(top && top.char === char ? { char, prob: top.prob, alternatives: cands.slice(1) } : { char, prob: 1, alternatives: [] });
    });
  }
  return out.map((r) => r.char).join('') === text ? out : undefined;
}

/** The place the number was issued in, as regions.ts names it (GB/T 2260 via the number's first six digits). */
function placeOfNumber(idNum: string | undefined): PlaceHint | undefined {
  const region = idNum ? regionByCode(idNum.slice(0, 6)) : undefined;
  return region ? { province: region.province, city: region.city, county: region.county } : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Stage

export interface FieldIssue {
  field: IdField;
  /** What was found; never the value itself (ID data stays out of logs). */
  problem: 'checksum' | 'corrected' | 'place-corrected' | 'derived-from-number' | 'unreadable' | 'region-unknown' | 'birth-mismatch' | 'sex-mismatch' | 'nation-unknown' | 'impossible-date';
}

export interface ValidatedFields {
  idInfo: IdInfo;
  issues: FieldIssue[];
}

/**
 * validate stage: takes the lines extract assigned to each field (joined text already in `draft`) and
 * returns the final fields plus the problems found (for diagnostics and the advanced checks).
 */
export async function validateFields(
  kind: CardKind,
  draft: IdInfo,
  fieldLines: Partial<Record<IdField, TextLine[]>>,
  ctx: StageContext,
): Promise<ValidatedFields> {
  const started = performance.now();
  const issues: FieldIssue[] = [];
  const out: IdInfo = {};
  const single = (f: IdField): TextLine | undefined => {
    const ls = fieldLines[f];
    if (!ls || ls.length === 0) return undefined;
    if (ls.length === 1) return ls[0];
    // Several lines for a one-line field: treat them as one in reading order.
    return { text: ls.map((l) => l.text).join(''), confidence: Math.min(...ls.map((l) => l.confidence)), chars: ls.flatMap((l) => l.chars), box: ls[0].box };
  };

  const hasFront = kind === 'FRONT' || kind === 'TEMPORARY';
  const hasBack = kind === 'BACK' || kind === 'TEMPORARY';
  // The county the address names: a hint for the authority on a temporary card.
  let addressPlace: PlaceHint | undefined;

  if (hasFront) {
    const idLine = single('IdNum') ?? (draft.IdNum ? { text: draft.IdNum, chars: [], confidence: 1 } : undefined);
    if (idLine) {
      const r = correctIdNumber(idLine, ctx.now);
      if (r.value) out.IdNum = r.value;
      else issues.push({ field: 'IdNum', problem: 'unreadable' });
      if (r.value && !r.valid) issues.push({ field: 'IdNum', problem: 'checksum' });
      if (r.corrected) issues.push({ field: 'IdNum', problem: 'corrected' });
      if (r.value && !isKnownRegionCode(r.value.slice(0, 6))) issues.push({ field: 'IdNum', problem: 'region-unknown' });
    }
    const validId = out.IdNum && isValidIdChecksum(out.IdNum) ? out.IdNum : undefined;

    if (draft.Name) out.Name = normalizeName(draft.Name);

    const sexLine = single('Sex') ?? (draft.Sex ? { text: draft.Sex, chars: [], confidence: 1 } : undefined);
    const sex = reconcileSex(sexLine, validId);
    if (sex) {
      out.Sex = sex;
      if (sexLine && ![...sexLine.text].includes(sex)) issues.push({ field: 'Sex', problem: 'derived-from-number' });
      if (validId && parseIdNumber(validId)?.sex !== sex) issues.push({ field: 'Sex', problem: 'sex-mismatch' });
    }

    const nationLine = single('Nation') ?? (draft.Nation ? { text: draft.Nation, chars: [], confidence: 1 } : undefined);
    const nation = reconcileNation(nationLine);
    if (nation) {
      out.Nation = nation;
      if (!isKnownNation(nation)) issues.push({ field: 'Nation', problem: 'nation-unknown' });
    }

    const birthLine = single('Birth') ?? (draft.Birth ? { text: draft.Birth, chars: [], confidence: 1 } : undefined);
    const birth = reconcileBirth(birthLine, validId);
    if (birth.value) {
      out.Birth = birth.value;
      if (birth.derived) issues.push({ field: 'Birth', problem: 'derived-from-number' });
      const idB = validId ? parseIdNumber(validId)?.birth : undefined;
      if (idB && formatApiBirth(idB) !== birth.value) issues.push({ field: 'Birth', problem: 'birth-mismatch' });
    }

    if (draft.Address) {
      out.Address = normalizeFreeText(draft.Address);
      const reading = readingOf(fieldLines.Address, out.Address);
      const fix = reading && rectifyAddress(reading, placeOfNumber(validId));
      if (fix?.place) addressPlace = fix.place;
      if (fix && fix.changed.length > 0 && fix.text !== out.Address) {
        out.Address = fix.text;
        issues.push({ field: 'Address', problem: 'place-corrected' });
      }
    }
  }

  if (hasBack) {
    if (draft.Authority) {
      out.Authority = normalizeFreeText(draft.Authority);
      const reading = readingOf(fieldLines.Authority, out.Authority);
      // On a temporary card the front's places say where the holder lives; a back alone has no such hint.
      const hints = [placeOfNumber(out.IdNum && isValidIdChecksum(out.IdNum) ? out.IdNum : undefined), addressPlace].filter((h): h is PlaceHint => h !== undefined);
      const fix = reading && rectifyAuthority(reading, hints);
      if (fix && fix.text !== out.Authority) {
        out.Authority = fix.text;
        issues.push({ field: 'Authority', problem: 'place-corrected' });
      }
    }
    if (draft.ValidDate) {
      const v = normalizeValidDate(draft.ValidDate);
      if (v) out.ValidDate = v;
      else issues.push({ field: 'ValidDate', problem: 'unreadable' });
    }
  }

  ctx.timings.validate = (ctx.timings.validate ?? 0) + (performance.now() - started);
  return { idInfo: out, issues };
}
