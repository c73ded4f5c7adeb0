/**
 * Reference data of the sample district (docs/domain.md): departments, the 5 streets and 7 towns,
 * 16 supervision zones. Production districts load their own rows; nothing in code depends on
 * these particular codes except the four bureau codes the routing rule names.
 */
export const DIVISION_CODE = '370305'; // 临淄区 administrative division code

export const DEPARTMENTS = [
  { code: 'edu', nameZh: '区教育和体育局', nameEn: 'District Education and Sports Bureau', kind: 'bureau', phone: '0533-0000001', sortOrder: 1 },
  { code: 'culture', nameZh: '区文化和旅游局', nameEn: 'District Culture and Tourism Bureau', kind: 'bureau', phone: '0533-0000002', sortOrder: 2 },
  { code: 'science', nameZh: '区科学技术局', nameEn: 'District Science and Technology Bureau', kind: 'bureau', phone: '0533-0000003', sortOrder: 3 },
  { code: 'market', nameZh: '区市场监督管理局', nameEn: 'District Market Supervision Administration', kind: 'bureau', phone: '12315', sortOrder: 4 },
  { code: 'fire', nameZh: '区消防救援大队', nameEn: 'District Fire and Rescue Brigade', kind: 'other', phone: '119', sortOrder: 5 },
  { code: 'police', nameZh: '区公安分局', nameEn: 'District Public Security Bureau', kind: 'other', phone: '110', sortOrder: 6 },
] as const;

export const TOWNS = [
  { code: 'xindian', nameZh: '辛店街道', nameEn: 'Xindian Subdistrict', kind: 'street' },
  { code: 'jixia', nameZh: '稷下街道', nameEn: 'Jixia Subdistrict', kind: 'street' },
  { code: 'qiling', nameZh: '齐陵街道', nameEn: 'Qiling Subdistrict', kind: 'street' },
  { code: 'wenshao', nameZh: '闻韶街道', nameEn: 'Wenshao Subdistrict', kind: 'street' },
  { code: 'xuegong', nameZh: '雪宫街道', nameEn: 'Xuegong Subdistrict', kind: 'street' },
  { code: 'qidu', nameZh: '齐都镇', nameEn: 'Qidu Town', kind: 'town' },
  { code: 'huangcheng', nameZh: '皇城镇', nameEn: 'Huangcheng Town', kind: 'town' },
  { code: 'jingzhong', nameZh: '敬仲镇', nameEn: 'Jingzhong Town', kind: 'town' },
  { code: 'zhutai', nameZh: '朱台镇', nameEn: 'Zhutai Town', kind: 'town' },
  { code: 'fenghuang', nameZh: '凤凰镇', nameEn: 'Fenghuang Town', kind: 'town' },
  { code: 'jinling', nameZh: '金岭回族镇', nameEn: 'Jinling Hui Town', kind: 'town' },
  { code: 'jinshan', nameZh: '金山镇', nameEn: 'Jinshan Town', kind: 'town' },
] as const;

export const townDepartmentCode = (townCode: string) => `town_${townCode}`;

const INSPECTOR_SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭'];
const INSPECTOR_GIVEN = ['建国', '秀英', '志强', '丽娟', '海燕', '立新', '红梅', '国庆', '春华', '玉兰', '文斌', '晓东', '桂芳', '德明', '淑珍', '卫东'];

/** 16 督导责任区, each with a (fictional, demo) responsible inspector 责任督学. */
export const ZONES = Array.from({ length: 16 }, (_, i) => ({
  id: i + 1,
  nameZh: `第${i + 1}督导责任区`,
  nameEn: `Supervision Zone ${i + 1}`,
  inspectorName: `${INSPECTOR_SURNAMES[i]}${INSPECTOR_GIVEN[i]}（演示）`,
  inspectorPhone: `0533-71${String(i + 1).padStart(2, '0')}000`,
}));
