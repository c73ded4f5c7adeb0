/**
 * The API's own messages (error texts parents and staff read), in zh-CN and en.
 * Schemas reference these by key (`{ error: 'mobile_invalid' }`); the error formatter translates.
 * The site's UI strings live in site/i18n; these are the server's answers.
 */
export type Lang = 'zh-CN' | 'en';

export const MESSAGES = {
  validation_failed: { 'zh-CN': '提交的内容有误，请按提示修改。', en: 'Some fields need attention.' },
  invalid_transition: { 'zh-CN': '当前办理状态下不能执行此操作，请刷新页面查看最新状态。', en: 'This action is not allowed in the case’s current state; reload to see the latest state.' },
  stale: { 'zh-CN': '该投诉刚被他人更新，请刷新后重试。', en: 'Someone else just updated this case; reload and try again.' },
  not_found: { 'zh-CN': '未找到。', en: 'Not found.' },
  complaint_not_found: { 'zh-CN': '未找到该投诉，请核对跟踪码和手机号后四位。', en: 'No complaint matches this tracking code and the last four digits.' },
  internal: { 'zh-CN': '系统繁忙，请稍后再试。您的内容没有丢失，可以直接重新提交。', en: 'Something went wrong on our side. Nothing was saved half-way; please try again.' },
  bad_json: { 'zh-CN': '请求格式不正确。', en: 'The request body is not valid JSON.' },
  bad_body: { 'zh-CN': '请求格式不正确，请刷新页面后重新提交。', en: 'The request body could not be read; reload the page and submit again.' },
  payload_too_large: { 'zh-CN': '提交的内容过大。', en: 'The request is too large.' },
  unsupported_media: { 'zh-CN': '不支持的提交格式。', en: 'Unsupported content type.' },
  rate_limited: { 'zh-CN': '提交过于频繁，请稍后再试。', en: 'Too many requests. Please try again later.' },
  banned: { 'zh-CN': '该手机号暂时无法在线提交投诉，请拨打 12345 热线。', en: 'This number cannot file complaints online at the moment; please call the 12345 hotline.' },
  idempotency_conflict: { 'zh-CN': '同一个请求编号被用于不同的内容。', en: 'This Idempotency-Key was already used for a different request.' },
  pow_required: { 'zh-CN': '安全校验未通过，请刷新页面后重新提交。', en: 'The security check failed; reload the page and submit again.' },
  unauthorized: { 'zh-CN': '请先登录。', en: 'Please sign in.' },
  csrf: { 'zh-CN': '页面已过期，请刷新后重试。', en: 'This page has expired; reload and try again.' },
  // staff sign-in and the admin API
  signin_failed: { 'zh-CN': '用户名、密码或动态验证码不正确。连续输错5次，账号将锁定15分钟。', en: 'The username, password or authenticator code is incorrect. After 5 failed attempts the account is locked for 15 minutes.' },
  reauth_failed: { 'zh-CN': '当前密码或动态验证码不正确。', en: 'The current password or authenticator code is incorrect.' },
  enrolment_invalid: { 'zh-CN': '动态验证码绑定已失效，请重新登录后再绑定。', en: 'This authenticator setup has expired; sign in again to restart it.' },
  forbidden: { 'zh-CN': '您的岗位无权使用此功能。', en: 'Your role does not give access to this.' },
  action_forbidden: { 'zh-CN': '您所在部门或岗位不能对该投诉执行此操作。', en: 'Your department or role may not take this action on this case.' },
  attachment_forbidden: { 'zh-CN': '证据材料含个人信息，仅牵头和协办部门的工作人员可以查看。', en: 'Evidence files hold personal data; only staff of the lead and co-handling departments can open them.' },
  // field messages
  required: { 'zh-CN': '此项必填', en: 'Required' },
  institution_unknown: { 'zh-CN': '未找到该机构，请重新选择或选择“不在列表中”', en: 'Unknown institution; pick one again or choose “not in the list”' },
  institution_choose: { 'zh-CN': '请选择机构，或填写机构名称和地址', en: 'Pick an institution, or type its name and address' },
  town_invalid: { 'zh-CN': '请选择所在镇（街道）', en: 'Choose the town or street' },
  date_invalid: { 'zh-CN': '请输入正确的日期（年-月-日）', en: 'Enter a valid date (YYYY-MM-DD)' },
  date_future: { 'zh-CN': '缴费日期不能晚于今天', en: 'The payment date cannot be in the future' },
  holiday_date_invalid: { 'zh-CN': '请输入正确的日期（年-月-日）', en: 'Enter a valid date (YYYY-MM-DD)' },
  holiday_date_outside_year: { 'zh-CN': '日期不在所填年份内', en: 'The date is not in this year' },
  holiday_date_duplicate: { 'zh-CN': '同一日期只能填写一次', en: 'This date is listed twice' },
  email_invalid: { 'zh-CN': '请输入正确的电子邮箱地址，或留空', en: 'Enter a valid e-mail address, or leave it empty' },
  username_taken: { 'zh-CN': '该用户名已被使用。', en: 'This username is already taken.' },
  backup_remote: {
    'zh-CN': '数据库在远程 libSQL 服务器（sqld / Turso）上，本系统无法在这里复制它。请使用数据库服务器自己的备份工具（如 sqld 的快照备份或 Turso 的时间点恢复）。',
    en: 'The database lives on a remote libSQL server (sqld / Turso), which this app cannot copy from here. Use the server’s own backup tooling (sqld snapshots, Turso point-in-time recovery).',
  },
  too_many_templates: { 'zh-CN': '本部门的常用回复已达上限（60条），请先删除不再使用的。', en: 'Your department has the maximum of 60 templates; delete some you no longer use first.' },
  cannot_deactivate_self: { 'zh-CN': '不能停用自己的账号。', en: 'You cannot deactivate your own account.' },
  date_too_old: { 'zh-CN': '缴费日期不能早于2015年', en: 'The payment date cannot be before 2015' },
  amount_invalid: { 'zh-CN': '请输入金额（元），最多两位小数', en: 'Enter an amount in yuan with at most 2 decimals' },
  amount_range: { 'zh-CN': '金额应大于0且不超过100万元', en: 'The amount must be above 0 and at most 1,000,000 yuan' },
  amount_requested_range: { 'zh-CN': '申请退还金额不能超过已缴金额', en: 'The amount asked back cannot exceed the amount paid' },
  classes_invalid: { 'zh-CN': '请输入0到10000之间的整数', en: 'Enter a whole number from 0 to 10,000' },
  classes_used_range: { 'zh-CN': '已上课时不能超过总课时', en: 'Classes used cannot exceed classes in total' },
  text_invalid: { 'zh-CN': '请填写文字', en: 'Enter text' },
  text_short: { 'zh-CN': '内容太短', en: 'Too short' },
  text_long: { 'zh-CN': '内容太长', en: 'Too long' },
  text_control: { 'zh-CN': '包含无法识别的字符', en: 'Contains characters that are not allowed' },
  description_length: { 'zh-CN': '请用10到2000个字说明情况', en: 'Describe what happened in 10 to 2,000 characters' },
  mobile_invalid: { 'zh-CN': '请输入11位手机号码', en: 'Enter an 11-digit mainland mobile number' },
  consent_required: { 'zh-CN': '需要您同意处理个人信息，才能受理投诉', en: 'We need your consent to process personal information to handle the complaint' },
  choice_invalid: { 'zh-CN': '请从选项中选择', en: 'Choose one of the options' },
  unknown_field: { 'zh-CN': '不认识的字段', en: 'Unknown field' },
  last4_invalid: { 'zh-CN': '请输入手机号后四位数字', en: 'Enter the last four digits of the mobile number' },
  code_invalid: { 'zh-CN': '跟踪码格式应为 TS-XXXX-XXXX', en: 'Tracking codes look like TS-XXXX-XXXX' },
  idempotency_key_invalid: { 'zh-CN': '请求编号应为8到128位字母、数字、-或_', en: 'Use 8–128 letters, digits, - or _' },
  pow_invalid: { 'zh-CN': '安全校验未完成或已过期，请重新提交', en: 'The security check is missing or has expired; submit again' },
  // evidence files: every message names what is allowed, so a parent knows what to do instead
  payload_too_large_files: { 'zh-CN': '上传的文件过大：最多5个文件，每个不超过10 MB（JPG、PNG 图片或 PDF）。', en: 'The upload is too large: at most 5 files of up to 10 MB each (JPEG or PNG images, or PDF).' },
  evidence_type: { 'zh-CN': '只能上传 JPG、PNG 图片或 PDF 文件（每个不超过10 MB，最多5个）', en: 'Only JPEG or PNG images or PDF files can be uploaded (up to 10 MB each, at most 5)' },
  evidence_too_large: { 'zh-CN': '文件超过10 MB，请压缩后重新上传（JPG、PNG 图片或 PDF，最多5个）', en: 'This file is over 10 MB; make it smaller and upload it again (JPEG, PNG or PDF, at most 5 files)' },
  evidence_too_many: { 'zh-CN': '最多上传5个文件（JPG、PNG 图片或 PDF，每个不超过10 MB）', en: 'Upload at most 5 files (JPEG, PNG or PDF, up to 10 MB each)' },
  evidence_unreadable: { 'zh-CN': '图片无法读取，可能已损坏；请重新拍照，或另存为 JPG、PNG 后上传', en: 'This image cannot be read and may be damaged; take the photo again, or save it as JPEG or PNG and upload it' },
  evidence_not_file: { 'zh-CN': '请在这里选择文件（JPG、PNG 图片或 PDF）', en: 'Choose a file here (JPEG or PNG image, or PDF)' },
  file_not_expected: { 'zh-CN': '这里不能上传文件，请填写文字', en: 'A file cannot be uploaded here; type text instead' },
  totp_invalid: { 'zh-CN': '请输入身份验证器App上显示的6位数字', en: 'Enter the 6-digit code shown in your authenticator app' },
  password_short: { 'zh-CN': '新密码至少需要12个字符', en: 'The new password needs at least 12 characters' },
  password_long: { 'zh-CN': '密码不能超过128个字符', en: 'Passwords can be at most 128 characters' },
  password_same: { 'zh-CN': '新密码不能与当前密码相同', en: 'The new password must differ from the current one' },
  password_username: { 'zh-CN': '新密码不能包含用户名', en: 'The new password must not contain the username' },
  cursor_invalid: { 'zh-CN': '翻页参数无效，请从第一页重新开始', en: 'Invalid page cursor; start again from the first page' },
  date_range_invalid: { 'zh-CN': '开始日期不能晚于结束日期', en: 'The start date must not be after the end date' },
  version_invalid: { 'zh-CN': '缺少版本号，请刷新页面后重试', en: 'Missing case version; reload the page and try again' },
  assignee_invalid: { 'zh-CN': '请选择牵头部门中在岗的工作人员', en: 'Choose an active staff member of the lead department' },
  lead_same: { 'zh-CN': '该部门已经是牵头部门', en: 'This department already leads the case' },
  lead_no_staff: { 'zh-CN': '该部门还没有在岗的工作人员，不能牵头办理', en: 'This department has no active case workers and cannot lead' },
  duplicate_original_invalid: { 'zh-CN': '请填写原投诉的跟踪码（须为您能查看的另一件投诉）。', en: 'Enter the tracking code of the original complaint (another case you can see).' },
  redaction_has_pii: { 'zh-CN': '脱敏后的内容仍含家长姓名或手机号码，请删除。', en: "The redacted text still contains the parent's name or a mobile number; remove it." },
  reason_required: { 'zh-CN': '请写明理由（至少5个字）', en: 'Give a reason (at least 5 characters)' },
} as const satisfies Record<string, Record<Lang, string>>;

export type MessageKey = keyof typeof MESSAGES;

export const isMessageKey = (s: string): s is MessageKey => Object.hasOwn(MESSAGES, s);
export const msg = (key: MessageKey, lang: Lang): string => MESSAGES[key][lang];

/** Picks zh-CN unless the client clearly prefers English. */
export function langFrom(acceptLanguage: string | null | undefined): Lang {
  if (!acceptLanguage) return 'zh-CN';
  const first = acceptLanguage.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh-CN';
}
