import { describe, expect, it } from 'vitest';
import type { IdField, Point, WarnCode } from '../src/engine/types.ts';
import { buildAccuracyReport, compareReports, editDistance, fieldMatches, scoreWarning, type Outcome, type ReportContext } from './scoring.ts';
import { answeringCard, casesFromRealLabels, casesFromSynthLabels, isMultiCard, MULTI_DETECT_CASE, printedBirthToApi, selectCases, type BenchCase } from './sets.ts';
import { percentile } from './stats.ts';
import { displayWidth, formatTable } from './table.ts';

const ctx: ReportContext = {
  createdAt: '2026-01-01T00:00:00.000Z',
  git: { commit: 'abc', dirty: false },
  machine: { cpus: 'test', cores: 2, node: 'v20', platform: 'linux' },
  set: { dir: '/set', kind: 'synth', provenance: 'test', images: 0 },
  engine: { entry: 'in-process', loaded: true, loadMs: 1, config: {} },
};

function benchCase(id: string, c: string, expected: BenchCase['expected'], extra: Partial<BenchCase> = {}): BenchCase {
  return { id, file: `/set/${id}`, case: c, expected, expectedWarnings: [], ...extra };
}

function outcome(id: string, c: string, got: Outcome['got'], extra: Partial<Outcome> = {}): Outcome {
  return { id, case: c, ms: 100, got, warnings: [], ...extra };
}

describe('field comparison', () => {
  it('counts only an exact string as right, and a missing field as wrong', () => {
    expect(fieldMatches('张三', '张三')).toBe(true);
    expect(fieldMatches('张三', '张 三')).toBe(false);
    expect(fieldMatches('1990/3/7', '1990/03/07')).toBe(false);
    expect(fieldMatches('张三', undefined)).toBe(false);
    expect(fieldMatches('张三', null)).toBe(false);
  });

  it('measures edit distance in characters, not bytes', () => {
    expect(editDistance('湖南省长沙市', '湖南省长沙布')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('normalises the printed birth date to the API form', () => {
    expect(printedBirthToApi('1992年9月15日')).toBe('1992/9/15');
    expect(printedBirthToApi('2013年05月06日')).toBe('2013/5/6');
    expect(printedBirthToApi('1990 年 3 月 7 日')).toBe('1990/3/7');
    expect(printedBirthToApi('1990.03.07')).toBeNull();
  });
});

describe('set mapping', () => {
  it('maps real labels: illegible and null fields are not scored, both-sides images ask for their side', () => {
    const cases = casesFromRealLabels(
      [
        { file: 'a.png', side: 'FRONT', Name: '小帮', Birth: '2017年4月19日', IdNum: null, Authority: null, illegible: ['IdNum'] },
        { file: 'b.png', side: 'FRONT', both_sides_in_image: true, Name: '张大民', Authority: null },
        { file: 'b.png', side: 'BACK', both_sides_in_image: true, Name: null, Authority: '上海市公安局' },
      ],
      '/real',
    );
    expect(cases.map((c) => c.id)).toEqual(['a.png', 'b.png#FRONT', 'b.png#BACK']);
    expect(cases[0]).toMatchObject({ file: '/real/a.png', side: undefined, expected: { Name: '小帮', Birth: '2017/4/19' }, expectedWarnings: null });
    expect(Object.keys(cases[0].expected)).toEqual(['Name', 'Birth']);
    expect(cases[1].side).toBe('FRONT');
    expect(cases[2]).toMatchObject({ side: 'BACK', expected: { Authority: '上海市公安局' } });
  });

  it('maps synthetic labels: expected errors leave nothing to score; null fields are skipped', () => {
    const quad = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }] as const;
    const fields = { Name: '李雷', Sex: '男', Nation: '汉', Birth: '1990/3/7', Address: null, IdNum: '11010119900307001X', Authority: null, ValidDate: null };
    const cases = casesFromSynthLabels(
      {
        seed: 1,
        generatedBy: 'test',
        images: [
          { file: 'x.jpg', case: 'occluded', format: 'jpeg', width: 10, height: 10, cards: [{ kind: 'FRONT', quad: [...quad], fields }], expectedWarnings: [9105, 9101], now: '2025-06-01' },
          { file: 'y.bin', case: 'undecodable', format: 'other', width: 0, height: 0, cards: [], expectedWarnings: [], expectedError: 'FailedOperation.ImageDecodeFailed', now: '2025-06-01' },
        ],
      },
      '/s',
    );
    expect(cases[0].expected).toEqual({ Name: '李雷', Sex: '男', Nation: '汉', Birth: '1990/3/7', IdNum: '11010119900307001X' });
    expect(cases[0].expectedWarnings).toEqual([9101, 9105]);
    expect(cases[0].now?.toISOString().slice(0, 10)).toBe('2025-06-01');
    expect(cases[1]).toMatchObject({ expected: {}, expectedError: 'FailedOperation.ImageDecodeFailed' });
  });

  it('runs an image with several cards twice: fields with MultiCardDetect off, MultiCardError with it on', () => {
    const quad = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }] as [Point, Point, Point, Point];
    type Fields = Record<IdField, string | null>;
    const front: Fields = { Name: '韩梅梅', Sex: '女', Nation: '汉', Birth: '1991/2/3', Address: '北京市东城区1号', IdNum: '110101199102030022', Authority: null, ValidDate: null };
    const back: Fields = { Name: null, Sex: null, Nation: null, Birth: null, Address: null, IdNum: null, Authority: '北京市公安局东城分局', ValidDate: '2015.03.07-2035.03.07' };
    const image = (file: string, cards: Fields[]) => ({
      file,
      case: 'multi' as const,
      format: 'jpeg' as const,
      width: 10,
      height: 10,
      cards: cards.map((fields) => ({ kind: fields === back ? ('BACK' as const) : ('FRONT' as const), quad, fields })),
      expectedWarnings: [],
      now: '2025-06-01',
    });
    const cases = casesFromSynthLabels({ seed: 1, generatedBy: 'test', images: [image('two-fronts.jpg', [front, front]), image('both-sides.jpg', [front, back])] }, '/s');
    expect(cases.map((c) => c.id)).toEqual(['two-fronts.jpg', 'two-fronts.jpg#MultiCardDetect', 'both-sides.jpg', 'both-sides.jpg#MultiCardDetect']);
    expect(cases[0]).toMatchObject({ case: 'multi', config: { MultiCardDetect: false }, expected: { Name: '韩梅梅' } });
    expect(cases[0].expectedError).toBeUndefined();
    expect(cases[1]).toMatchObject({ case: MULTI_DETECT_CASE, expected: {}, expectedError: 'FailedOperation.MultiCardError', config: { MultiCardDetect: true } });
    // Front and back together are two cards too (issue 5): read the first with the flag off, error with it on.
    expect(cases[2]).toMatchObject({ config: { MultiCardDetect: false }, expected: { Name: '韩梅梅' } });
    expect(cases[3]).toMatchObject({ expectedError: 'FailedOperation.MultiCardError', config: { MultiCardDetect: true } });
    expect(isMultiCard(['FRONT', 'BACK'])).toBe(true);
    expect(isMultiCard(['FRONT'])).toBe(false);
  });

  it('limits round-robin across cases so a short run sees every case', () => {
    const cs = ['a1', 'a2', 'a3', 'b1', 'c1', 'c2'].map((id) => benchCase(id, id[0], {}));
    expect(selectCases(cs, { limit: 4 }).map((c) => c.id)).toEqual(['a1', 'b1', 'c1', 'a2']);
    expect(selectCases(cs, { cases: ['c', 'b1'] }).map((c) => c.id)).toEqual(['b1', 'c1', 'c2']);
  });
});

describe('warning precision and recall', () => {
  it('counts true and false positives and misses per code, and clean-case false alarms', () => {
    const p = (c: string, expected: WarnCode[], got: WarnCode[]) => ({ case: c, expected, got });
    const s = scoreWarning(9102, [
      p('photocopy', [9102], [9102]),
      p('photocopy', [9102], []),
      p('clean', [], [9102]),
      p('clean', [], []),
      p('photo', [], [9103]),
      p('reshoot', [9103], [9102, 9103]),
    ]);
    expect(s).toMatchObject({ tp: 1, fp: 2, fn: 1, cleanFalseAlarms: 1, cleanImages: 3 });
    expect(s.precision).toBeCloseTo(1 / 3);
    expect(s.recall).toBeCloseTo(1 / 2);
    expect(s.cleanFalseAlarmRate).toBeCloseTo(1 / 3);
  });

  it('gives no precision or recall when nothing was expected or fired (not a perfect score)', () => {
    const s = scoreWarning(9106, [{ case: 'clean', expected: [], got: [] }]);
    expect(s.precision).toBeNull();
    expect(s.recall).toBeNull();
  });
});

describe('report', () => {
  const cases = [
    benchCase('c1', 'clean', { Name: '王五', IdNum: '110101199003070015' }),
    benchCase('c2', 'clean', { Name: '赵六', IdNum: '110101199003070023' }),
    benchCase('p1', 'photocopy', { Name: '钱七' }, { expectedWarnings: [9102] }),
    benchCase('u1', 'undecodable', {}, { expectedError: 'FailedOperation.ImageDecodeFailed' }),
    benchCase('n1', 'no-card', {}, { expectedError: 'FailedOperation.ImageNoIdCard' }),
  ];
  const outcomes = [
    outcome('c1', 'clean', { Name: '王五', IdNum: '110101199003070015' }, { ms: 100, timings: { detect: 40, total: 95 } }),
    outcome('c2', 'clean', { Name: '赵大', IdNum: '110101199003070023' }, { ms: 300 }),
    outcome('p1', 'photocopy', null, { ms: 200, error: 'FailedOperation.OcrFailed' }),
    outcome('u1', 'undecodable', null, { ms: 5, error: 'FailedOperation.ImageDecodeFailed' }),
    outcome('n1', 'no-card', { Name: 'x' }, { ms: 50 }),
  ];
  const r = buildAccuracyReport(cases, outcomes, ctx);

  it('scores fields, cards, errors and latency from outcomes', () => {
    expect(r.fields.Name).toEqual({ scored: 3, right: 1, accuracy: 1 / 3 });
    expect(r.fields.IdNum).toEqual({ scored: 2, right: 2, accuracy: 1 });
    expect(r.fields.Address).toEqual({ scored: 0, right: 0, accuracy: null });
    expect(r.fieldsOverall).toEqual({ scored: 5, right: 3, accuracy: 3 / 5 });
    expect(r.cards.byCase.clean).toEqual({ scored: 2, right: 1, accuracy: 0.5 });
    expect(r.cards.byCase.photocopy).toEqual({ scored: 1, right: 0, accuracy: 0 });
    expect(r.errors.expected).toEqual({ scored: 2, right: 1, accuracy: 0.5 });
    expect(r.errors.unexpected).toEqual({ images: 3, failed: 1 });
    expect(r.errors.confusion).toMatchObject({ 'ok → ok': 2, 'ok → FailedOperation.OcrFailed': 1, 'FailedOperation.ImageNoIdCard → ok': 1 });
    expect(r.latency.overall).toMatchObject({ n: 5, p50: 100, p95: 300 });
    expect(r.latency.stages.detect).toMatchObject({ n: 1, p50: 40 });
  });

  it('counts a failed call as missing every warning it should have raised', () => {
    expect(r.warnings?.['9102']).toMatchObject({ tp: 0, fn: 1, fp: 0 });
  });

  it('ranks a missing field above a one-character misread', () => {
    expect(r.misreads.total).toBe(2);
    expect(r.misreads.worst[0]).toMatchObject({ id: 'p1', field: 'Name', got: null, severity: 1 });
    expect(r.misreads.worst[1]).toMatchObject({ id: 'c2', field: 'Name', expected: '赵六', got: '赵大', severity: 0.5 });
  });

  it('survives a JSON round trip and compares with an older report', () => {
    const back = JSON.parse(JSON.stringify(r));
    expect(back.schema).toBe('idcard-ocr/bench-accuracy@1');
    const better = buildAccuracyReport(cases, outcomes.map((o) => (o.id === 'c2' ? { ...o, got: { Name: '赵六', IdNum: '110101199003070023' }, ms: 80 } : o)), ctx);
    const deltas = compareReports(back, better);
    expect(deltas.find((x) => x.measure === 'field Name')?.delta).toBeCloseTo(1 / 3);
    expect(deltas.find((x) => x.measure === 'cards clean')?.delta).toBeCloseTo(0.5);
    expect(deltas.find((x) => x.measure === 'field Address')?.delta).toBeNull();
  });

  it('never reports a latency for calls that did not run', () => {
    const none = buildAccuracyReport([cases[0]], [outcome('c1', 'clean', null, { ms: Number.NaN, error: 'Crash', crash: 'no engine loaded' })], ctx);
    expect(none.latency.overall).toMatchObject({ n: 0, p50: null, p95: null });
    expect(none.fieldsOverall).toEqual({ scored: 2, right: 0, accuracy: 0 });
  });
});

describe('helpers', () => {
  it('takes nearest-rank percentiles and NaN for no samples', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('aligns tables with CJK characters counted as two columns', () => {
    expect(displayWidth('张三ab')).toBe(6);
    const lines = formatTable(['k', 'v'], [['张三', '1'], ['ab', '22']], 'll').split('\n');
    expect(lines[2]).toBe('张三  1');
    expect(lines[3]).toBe('ab    22');
  });
});

describe('answeringCard (which card a multi-card image is scored on)', () => {
  const quad = (x: number, y: number, w: number, h: number) => [
    { x, y },
    { x: x + w, y },
    { x: x + w, y: y + h },
    { x, y: y + h },
  ];
  it('takes the largest card of the requested side, not the first listed', () => {
    const cards = [
      { kind: 'FRONT', quad: quad(100, 400, 600, 380), name: 'small' },
      { kind: 'FRONT', quad: quad(800, 100, 740, 470), name: 'large' },
    ];
    expect(answeringCard(cards, 'FRONT')?.name).toBe('large');
  });
  it('takes the card serving the side even when the other side is larger', () => {
    const cards = [
      { kind: 'FRONT', quad: quad(0, 0, 300, 190), name: 'front' },
      { kind: 'BACK', quad: quad(400, 0, 800, 500), name: 'back' },
    ];
    expect(answeringCard(cards, 'FRONT')?.name).toBe('front');
    expect(answeringCard(cards)?.name).toBe('back');
  });
  it('among cards of about one size in one row takes the left-most, else the top-most', () => {
    const row = [
      { kind: 'FRONT', quad: quad(600, 20, 300, 190), name: 'right, a little higher' },
      { kind: 'FRONT', quad: quad(0, 30, 300, 190), name: 'left' },
    ];
    expect(answeringCard(row, 'FRONT')?.name).toBe('left');
    const cards = [
      { kind: 'FRONT', quad: quad(0, 500, 600, 380), name: 'lower' },
      { kind: 'FRONT', quad: quad(0, 0, 590, 375), name: 'upper' },
    ];
    expect(answeringCard(cards, 'FRONT')?.name).toBe('upper');
  });
});
