/**
 * The 56 ethnic groups as printed after 民族 (without the trailing 族), with rough population shares
 * (2020 census, per mille, rounded; used only to make synthetic data look real).
 * Old cards may read 崩龙 (德昂 before 1985); a few cards carry groups outside the list — recognition
 * returns what is printed rather than forcing it onto the list (domain.md).
 */
export const NATIONS: ReadonlyArray<readonly [name: string, perMille: number]> = [
  ['汉', 911], ['壮', 13.8], ['维吾尔', 8.2], ['回', 8.0], ['苗', 7.9], ['满', 7.4], ['彝', 6.9], ['土家', 6.7],
  ['藏', 5.0], ['蒙古', 4.5], ['布依', 2.5], ['侗', 2.5], ['瑶', 2.3], ['白', 1.5], ['哈尼', 1.2], ['朝鲜', 1.2],
  ['黎', 1.1], ['哈萨克', 1.1], ['傣', 0.9], ['畲', 0.5], ['傈僳', 0.5], ['东乡', 0.6], ['仡佬', 0.5], ['拉祜', 0.35],
  ['佤', 0.3], ['水', 0.35], ['纳西', 0.23], ['羌', 0.22], ['土', 0.2], ['仫佬', 0.2], ['锡伯', 0.14], ['柯尔克孜', 0.15],
  ['景颇', 0.1], ['达斡尔', 0.09], ['撒拉', 0.12], ['布朗', 0.09], ['毛南', 0.09], ['塔吉克', 0.04], ['普米', 0.03],
  ['阿昌', 0.03], ['怒', 0.03], ['鄂温克', 0.03], ['京', 0.03], ['基诺', 0.02], ['德昂', 0.02], ['保安', 0.02],
  ['俄罗斯', 0.01], ['裕固', 0.01], ['乌孜别克', 0.01], ['门巴', 0.01], ['鄂伦春', 0.01], ['独龙', 0.005],
  ['赫哲', 0.005], ['高山', 0.003], ['珞巴', 0.003], ['塔塔尔', 0.003],
];

export const NATION_NAMES: ReadonlySet<string> = new Set([...NATIONS.map(([n]) => n), '崩龙']);

export function isKnownNation(s: string): boolean {
  return NATION_NAMES.has(s);
}
