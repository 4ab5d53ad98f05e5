/**
 * The IDCardOCR success body (COS CI doc "ID card recognition", protocols.md §6):
 *
 *   <Response><IdInfo><Name/>…<ValidDate/></IdInfo>
 *   <AdvancedInfo><IdCard/><Portrait/><Quality/><BorderCodeValue/><WarnInfos>-9102</WarnInfos>…</AdvancedInfo></Response>
 *
 * - WarnInfos are repeated elements inside AdvancedInfo: that is where the Go SDK's IdCardAdvancedInfo decodes
 *   them (a WarnInfos inside IdInfo is silently dropped), and with a leading minus as the SDKs and the API 3.0
 *   examples show them.
 * - AdvancedInfo "will not be returned if not requested": present only when a Config flag is on, and holding
 *   only the items whose flags are on.
 * - Fields belong to a side: the portrait side's six or the emblem side's two (a temporary card has all).
 */
import { ID_FIELDS, type IdCardConfig, type IdField, type RecognitionResult, type WarnCode } from '../engine/types.ts';
import { el, node, xmlDocument } from './xml.ts';

const FRONT_FIELDS: readonly IdField[] = ['Name', 'Sex', 'Nation', 'Birth', 'Address', 'IdNum'];
const BACK_FIELDS: readonly IdField[] = ['Authority', 'ValidDate'];

/** Which Config flag asks for which warning (COS CI doc's WarnInfos table). */
const WARN_FLAG: Record<WarnCode, keyof IdCardConfig> = {
  9100: 'InvalidDateWarn',
  9101: 'BorderCheckWarn',
  9102: 'CopyWarn',
  9103: 'ReshootWarn',
  9104: 'TempIdWarn',
  9105: 'BorderCheckWarn',
  9106: 'DetectPsWarn',
};

export function renderIdCardXml(result: RecognitionResult, config: Partial<IdCardConfig>): string {
  const fields = result.side === 'FRONT' ? FRONT_FIELDS : result.side === 'BACK' ? BACK_FIELDS : ID_FIELDS;
  const idInfo = fields.filter((f) => result.idInfo[f] !== undefined).map((f) => el(f, result.idInfo[f] as string));

  const parts = [node('IdInfo', idInfo)];
  if (Object.values(config).some(Boolean)) {
    const a = result.advancedInfo;
    const adv: string[] = [];
    if (config.CropIdCard && a.IdCard !== undefined) adv.push(el('IdCard', a.IdCard));
    if (config.CropPortrait && a.Portrait !== undefined) adv.push(el('Portrait', a.Portrait));
    // The SDKs read these as strings ("88"); integers, as the doc's 0–100 scale.
    if (config.Quality && a.Quality !== undefined) adv.push(el('Quality', String(Math.round(a.Quality))));
    if (config.BorderCheckWarn && a.BorderCodeValue !== undefined) adv.push(el('BorderCodeValue', String(Math.round(a.BorderCodeValue))));
    const warns = [...new Set(a.WarnInfos ?? [])].filter((w) => config[WARN_FLAG[w]]).sort((x, y) => x - y);
    for (const w of warns) adv.push(el('WarnInfos', `-${w}`));
    parts.push(node('AdvancedInfo', adv));
  }
  return xmlDocument(node('Response', parts));
}
