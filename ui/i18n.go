package ui

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/metamodel"
)

// Lang is a language of the UI: its chrome comes from the catalogue below,
// its labels from the definitions (label / label_en, title / title_en).
// Chinese is the default; English is one click (or ?lang=en) away and sticks
// in a cookie.
type Lang string

// The languages of the UI.
const (
	Chinese Lang = "zh-CN"
	English Lang = "en"
)

// LangCookie remembers the language a user chose.
const LangCookie = "growth_lang"

// langOf picks the request's language: ?lang= (remembered in a cookie), else
// the cookie, else Chinese.
func langOf(c *fiber.Ctx) Lang {
	if q := parseLang(c.Query("lang")); q != "" {
		c.Cookie(&fiber.Cookie{Name: LangCookie, Value: string(q), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode})
		return q
	}
	if l := parseLang(c.Cookies(LangCookie)); l != "" {
		return l
	}
	return Chinese
}

func parseLang(s string) Lang {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh", "zh-cn", "zh_cn":
		return Chinese
	case "en", "en-us", "en-gb":
		return English
	}
	return ""
}

// T returns the message key in l, formatted with args. A key missing from
// the catalogue shows as ⟦key⟧, which the tests look for.
func (l Lang) T(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	s := m[0]
	if l == English && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// pick chooses the English text when the UI is in English and there is one.
func (l Lang) pick(zh, en string) string {
	if l == English && en != "" {
		return en
	}
	return zh
}

// AppTitle is an app's title in l.
func (l Lang) AppTitle(a *metamodel.App) string {
	if t := l.pick(a.Title, a.TitleEn); t != "" {
		return t
	}
	return a.Name
}

// EntityTitle is an entity's title in l.
func (l Lang) EntityTitle(e *metamodel.Entity) string {
	if t := l.pick(e.Title, e.TitleEn); t != "" {
		return t
	}
	return e.Name
}

// FieldLabel is a field's label in l.
func (l Lang) FieldLabel(f *metamodel.Field) string {
	if t := l.pick(f.Label, f.LabelEn); t != "" {
		return t
	}
	return f.Name
}

// EnumLabel is the label of an enum value in l.
func (l Lang) EnumLabel(f *metamodel.Field, value string) string {
	label, _ := metamodel.ValueLabel(f, value, l == English)
	return label
}

// MovementLabel names a kind of ledger row in l (metamodel.LedgerMovements).
func (l Lang) MovementLabel(kind string) string {
	if m, ok := metamodel.LedgerMovementOf(kind); ok {
		return l.pick(m.Label, m.LabelEn)
	}
	return "⟦ledger." + kind + "⟧"
}

// StateLabel is a workflow state's label. States have Chinese labels only;
// the English UI shows them too rather than bare identifiers.
func StateLabel(w *metamodel.Workflow, state string) string {
	if w != nil {
		if l := w.Labels[state]; l != "" {
			return l
		}
	}
	return state
}

// messages is the UI's own text: key → {zh-CN, en}.
var messages = map[string][2]string{
	"app.name":                      {"Growth 财政业务平台", "Growth finance platform"},
	"nav.portal":                    {"工作台", "Portal"},
	"nav.audit":                     {"审计", "Audit"},
	"nav.users":                     {"用户管理", "Users"},
	"nav.logout":                    {"退出", "Log out"},
	"nav.lang":                      {"English", "中文"},
	"nav.skip":                      {"跳到正文", "Skip to content"},
	"login.title":                   {"登录", "Log in"},
	"login.username":                {"用户名", "User name"},
	"login.password":                {"密码", "Password"},
	"login.submit":                  {"登录", "Log in"},
	"login.missing":                 {"请输入用户名和密码", "Enter your user name and password"},
	"login.intro":                   {"请使用管理员为您开设的账户登录。", "Log in with the account your administrator gave you."},
	"portal.title":                  {"工作台", "Portal"},
	"portal.welcome":                {"您好，%s", "Hello, %s"},
	"portal.inbox":                  {"待我处理", "Waiting for me"},
	"portal.new":                    {"新建", "New"},
	"portal.empty":                  {"您还没有可以使用的业务系统，请联系管理员分配角色。", "There is no business system you may use yet; ask your administrator for a role."},
	"portal.roles":                  {"角色", "Roles"},
	"portal.reports":                {"报表", "Reports"},
	"portal.admin":                  {"系统管理", "Administration"},
	"portal.admin.users":            {"添加用户，分配单位和角色，停用账户，重置密码", "Add users, give them an org and roles, disable accounts, reset passwords"},
	"users.title":                   {"用户管理", "Users"},
	"users.new":                     {"新增用户", "Add a user"},
	"users.edit":                    {"用户 %s", "User %s"},
	"users.name":                    {"用户名", "User name"},
	"users.name.help":               {"登录用的名称：小写字母、数字和 _ . @ -，以字母或数字开头，最长 64 个字符", "The login name: lower-case letters, digits and _ . @ -, starting with a letter or a digit, at most 64 characters"},
	"users.display":                 {"姓名", "Display name"},
	"users.org":                     {"单位", "Org"},
	"users.org.help":                {"用户所属单位（单位代码集中的代码），决定“本单位”“本单位及下级”角色能看到的数据；留空表示不属于任何单位", "The user's org (a code of an org code set): what own-org and org-subtree roles see; empty for none"},
	"users.org.pick":                {"从“%s”选择", "Choose from %s"},
	"users.roles":                   {"角色", "Roles"},
	"users.platform":                {"平台", "Platform"},
	"users.role.admin":              {"系统管理员（管理用户）", "Administrator (manages users)"},
	"users.role.in":                 {"%s（%s）", "%s (%s)"},
	"users.role.unknown":            {"定义中已不存在的角色", "Roles the definitions no longer have"},
	"users.enabled":                 {"启用", "Enabled"},
	"users.enabled.help":            {"停用的用户不能登录，其已登录的会话立即失效", "A disabled user cannot log in; their sessions end at once"},
	"users.password":                {"密码", "Password"},
	"users.password2":               {"再次输入密码", "Password again"},
	"users.password.help":           {"至少 %d 个字符，不能与用户名相同，不能是常见或容易猜到的密码；几个不相关的词连起来最好", "At least %d characters, not the user name, not a common or easily guessed password; a few unrelated words work well"},
	"users.password.new":            {"新密码", "New password"},
	"users.password.reset":          {"登录与密码", "Login and password"},
	"users.password.keep":           {"留空则不修改密码；修改后该用户已登录的会话立即失效", "Leave empty to keep the password; a new one ends the user's sessions"},
	"users.password.diff":           {"两次输入的密码不一致", "The two passwords differ"},
	"users.account":                 {"账户", "Account"},
	"users.access":                  {"单位与角色", "Org and roles"},
	"users.login":                   {"登录", "Login"},
	"users.status":                  {"状态", "Status"},
	"users.state.on":                {"启用", "enabled"},
	"users.state.off":               {"停用", "disabled"},
	"users.created":                 {"创建时间", "Created"},
	"users.updated":                 {"最后修改", "Last change"},
	"users.none":                    {"还没有用户。", "There are no users yet."},
	"users.count":                   {"共 %d 个用户", "%d users"},
	"users.added":                   {"已添加用户 %s。", "User %s added."},
	"users.saved":                   {"已保存用户 %s。", "User %s saved."},
	"users.forbidden":               {"只有管理员（admin 角色）可以管理用户", "Only administrators (role admin) may manage users"},
	"list.import":                   {"导入", "Import"},
	"list.code":                     {"代码", "code"},
	"report.total":                  {"合计", "Total"},
	"report.blank":                  {"（空）", "(none)"},
	"report.empty":                  {"没有符合条件的数据。", "No records match."},
	"report.groups":                 {"共 %d 组", "%d groups"},
	"report.public":                 {"公开页面", "Public page"},
	"report.public.tag":             {"公开", "public"},
	"report.public.note":            {"此报表公开，无需登录即可查看。", "This report is public: anyone may read it without logging in."},
	"form.file.help":                {"可上传 %s 文件，不超过 %s", "A %s file of at most %s"},
	"form.file.help.any":            {"文件不超过 %s", "A file of at most %s"},
	"form.file.pending":             {"（已上传，保存后生效）", "(uploaded; saved with the record)"},
	"form.file.remove":              {"删除此文件", "Remove the file"},
	"import.title":                  {"导入%s", "Import %s"},
	"import.intro":                  {"上传 CSV 或 Excel（xlsx）文件：第一行为字段名或字段标题，以下每行一条记录。全部行都通过校验才导入；有任何一行有误则不导入任何记录，并列出每个有误的行。", "Upload a CSV or Excel (xlsx) file: the first row names the fields (by name or label), every row below is one record. The file is imported only if every row passes; otherwise nothing is imported and every bad row is listed."},
	"import.file.label":             {"文件", "File"},
	"import.file.help":              {"CSV（UTF-8 或带 BOM）或 Excel（xlsx，读取第一个工作表）", "CSV (UTF-8, with or without BOM) or Excel (xlsx, first sheet)"},
	"import.submit":                 {"导入", "Import"},
	"import.template":               {"下载模板", "Download a template"},
	"import.columns":                {"可导入的列", "Columns the file may have"},
	"import.column":                 {"列标题", "Column"},
	"import.name":                   {"字段名", "Field name"},
	"import.how":                    {"填写方式", "How to write it"},
	"import.line":                   {"行号", "Line"},
	"import.problems":               {"问题", "What is wrong"},
	"import.nofile":                 {"请选择要导入的 CSV 或 Excel 文件。", "Choose a CSV or Excel file to import."},
	"import.rejected":               {"导入未执行：%d 行有误（共 %d 行），未导入任何记录。请修改后重新上传整个文件。", "Not imported: %d bad rows (of %d); no record was imported. Fix them and upload the whole file again."},
	"import.badfile":                {"文件有误，未导入任何记录。", "The file cannot be imported; no record was imported."},
	"import.done":                   {"已导入 %d 条记录。", "%d records imported."},
	"list.new":                      {"新建%s", "New %s"},
	"list.filter":                   {"筛选", "Filter"},
	"list.apply":                    {"查询", "Search"},
	"list.reset":                    {"清除", "Clear"},
	"list.any":                      {"（全部）", "(any)"},
	"list.from":                     {"从", "from"},
	"list.to":                       {"至", "to"},
	"list.min":                      {"最小", "min"},
	"list.max":                      {"最大", "max"},
	"list.contains":                 {"包含", "contains"},
	"list.empty":                    {"没有符合条件的记录。", "No records match."},
	"list.page":                     {"第 %d 页", "Page %d"},
	"list.prev":                     {"上一页", "Previous"},
	"list.next":                     {"下一页", "Next"},
	"list.total":                    {"共 %d 条", "%d in all"},
	"list.count":                    {"统计总数", "Count all"},
	"list.pageof":                   {"第 %d / %d 页", "Page %d of %d"},
	"list.jump":                     {"跳至", "Go to page"},
	"list.go":                       {"跳转", "Go"},
	"list.sum":                      {"合计", "Total"},
	"list.search":                   {"搜索", "Search"},
	"list.search.hint":              {"搜索：%s", "Search: %s"},
	"list.hide":                     {"隐藏列", "Hide columns"},
	"list.batch":                    {"对选中的记录：", "On the selected records:"},
	"list.batch.comment":            {"意见（可选）", "Comment (optional)"},
	"list.select.all":               {"全选本页", "Select every row on this page"},
	"batch.title":                   {"批量处理结果", "Batch results"},
	"batch.summary":                 {"“%s”：%d 条成功，%d 条未通过。", "%s: %d done, %d refused."},
	"batch.ok":                      {"成功", "Done"},
	"batch.approval":                {"已记录审批（%d/%d）", "Approval recorded (%d of %d)"},
	"batch.refused":                 {"未通过", "Refused"},
	"batch.none":                    {"请先勾选记录。", "Select records first."},
	"batch.next":                    {"处理并打开下一条", "Do it and open the next"},
	"filter.saved":                  {"已保存筛选“%s”", "Filter “%s” saved"},
	"filter.deleted":                {"已删除筛选“%s”", "Filter “%s” deleted"},
	"filter.mine":                   {"我的筛选", "My filters"},
	"filter.name":                   {"筛选名称", "Filter name"},
	"filter.save":                   {"保存当前筛选", "Save this filter"},
	"filter.delete":                 {"删除", "Delete"},
	"filter.share":                  {"复制本页链接即可分享当前筛选。", "Copy this page's link to share the filter."},
	"todo.title":                    {"待办事项", "To-do"},
	"todo.intro":                    {"您现在可以处理的记录，最早的在前。", "Records you may act on now, oldest first."},
	"todo.empty":                    {"没有等待您处理的记录。", "Nothing waits for you."},
	"todo.app":                      {"业务系统", "App"},
	"todo.entity":                   {"类型", "Type"},
	"todo.record":                   {"记录", "Record"},
	"todo.since":                    {"更新于", "Since"},
	"todo.amount":                   {"金额", "Amount"},
	"todo.more":                     {"另有 %d 条，见列表", "%d more in the list"},
	"list.pagesize":                 {"每页", "Per page"},
	"list.export.xlsx":              {"导出 Excel", "Export Excel"},
	"list.export.csv":               {"导出 CSV", "Export CSV"},
	"list.inbox":                    {"只看待我处理", "Only those waiting for me"},
	"list.sort":                     {"按此列排序", "Sort by this column"},
	"list.state":                    {"状态", "State"},
	"form.new":                      {"新建%s", "New %s"},
	"form.edit":                     {"修改%s %s", "Edit %s %s"},
	"form.save":                     {"保存", "Save"},
	"form.cancel":                   {"取消", "Cancel"},
	"form.required":                 {"必填", "required"},
	"form.other":                    {"其他信息", "Other"},
	"form.invalid":                  {"提交的数据未通过校验，请修改标出的字段。", "Some fields need your attention; see the messages next to them."},
	"form.stale":                    {"保存未成功：%s。您的输入仍在下方，没有覆盖他人的修改。", "Not saved: %s. Your input is kept below; nothing was overwritten."},
	"form.reload":                   {"查看最新内容", "See the current record"},
	"form.pick":                     {"选择", "Choose"},
	"form.search":                   {"搜索", "Search"},
	"form.search.code":              {"输入代码或名称搜索", "Type a code or a name"},
	"form.search.ref":               {"输入编号或名称搜索", "Type a number or a name"},
	"form.browse":                   {"浏览全部代码", "Browse all codes"},
	"form.browse.ref":               {"浏览全部记录", "Browse the records"},
	"form.leafonly":                 {"只能选择末级代码", "Only leaf codes may be chosen"},
	"form.yes":                      {"是", "Yes"},
	"form.no":                       {"否", "No"},
	"form.none":                     {"—", "—"},
	"form.yuan":                     {"元", "CNY"},
	"form.amount.words":             {"大写", "In words"},
	"form.money.help":               {"金额，最多两位小数，如 1,234.56", "An amount with at most two decimals, e.g. 1,234.56"},
	"record.title":                  {"%s %s", "%s %s"},
	"record.print":                  {"打印", "Print"},
	"print.print":                   {"打印", "Print"},
	"print.back":                    {"返回", "Back"},
	"print.pdf":                     {"下载 PDF", "Download PDF"},
	"print.page":                    {"第 %d 页，共 %d 页", "Page %d of %d"},
	"print.amount":                  {"金额（小写）", "Amount"},
	"print.amount.words":            {"金额（大写）", "Amount in words"},
	"print.sign":                    {"签字", "Signature"},
	"print.date":                    {"日期", "Date"},
	"print.printed":                 {"打印时间：%s　打印人：%s", "Printed %s by %s"},
	"children.add":                  {"新增", "Add"},
	"children.all":                  {"查看全部", "See all"},
	"children.total":                {"合计", "Total"},
	"children.none":                 {"暂无记录。", "None yet."},
	"children.more":                 {"只显示了前 %d 条。", "Only the first %d are shown."},
	"children.count":                {"共 %d 条", "%d in all"},
	"fill.available":                {"可用余额：%s 元", "Available: %s"},
	"fill.notopen":                  {"额度未生效", "Not open"},
	"fill.refresh":                  {"带出", "Fill in"},
	"fill.done":                     {"已按所选%s带出%s，请核对后保存。", "Filled from the chosen %s: %s. Check and save."},
	"picker.available":              {"可用 %s", "available %s"},
	"account.title":                 {"修改密码", "Change password"},
	"account.current":               {"当前密码", "Current password"},
	"account.wrong":                 {"当前密码不正确", "The current password is wrong"},
	"account.save":                  {"修改密码", "Change password"},
	"account.done":                  {"密码已修改。您的所有登录（包括这一次）都已结束，请用新密码重新登录。", "Your password is changed. Every session of yours, this one included, has ended: log in again with the new password."},
	"account.login":                 {"重新登录", "Log in again"},
	"record.edit":                   {"修改", "Edit"},
	"record.delete":                 {"删除", "Delete"},
	"record.delete.ask":             {"确定删除这条记录吗？", "Delete this record?"},
	"record.actions":                {"可执行的操作", "What you may do"},
	"record.noactions":              {"当前没有您可以执行的操作。", "There is nothing you may do on this record now."},
	"record.comment":                {"意见", "Comment"},
	"record.comment.req":            {"（必填）", "(required)"},
	"record.history":                {"流转记录", "History"},
	"record.changes":                {"字段变更记录", "Field history"},
	"record.field":                  {"字段", "Field"},
	"record.before":                 {"变更前", "Before"},
	"record.after":                  {"变更后", "After"},
	"record.recomputed":             {"汇总重算", "Recomputed"},
	"record.partial":                {"%s（会签，未满额）", "%s (approval towards a quorum)"},
	"record.pending":                {"已收到的审批", "Approvals so far"},
	"record.created":                {"创建", "Created"},
	"record.at.sep":                 {"于", "at"},
	"record.balance":                {"额度", "Balance"},
	"record.ledger":                 {"额度台账", "Ledger"},
	"record.ledger.none":            {"尚无台账分录。", "No ledger entries yet."},
	"record.notopen":                {"额度尚未开立。", "The account is not open yet."},
	"record.approved":               {"批准额度", "Approved"},
	"record.reserved":               {"已预占", "Reserved"},
	"record.consumed":               {"已使用", "Consumed"},
	"record.frozen":                 {"已冻结", "Frozen"},
	"record.available":              {"可用余额", "Available"},
	"record.kind":                   {"类型", "Kind"},
	"record.amount":                 {"金额", "Amount"},
	"record.source":                 {"来源", "Source"},
	"record.event":                  {"事件", "Event"},
	"record.actor":                  {"操作人", "By"},
	"record.at":                     {"时间", "At"},
	"record.note":                   {"说明", "Note"},
	"record.saved":                  {"已保存。", "Saved."},
	"record.fired":                  {"已执行“%s”。", "Done: %s."},
	"record.approval":               {"已记录您的审批（%d/%d），等待其他人审批。", "Your approval is recorded (%d of %d); waiting for others."},
	"record.deleted":                {"已删除。", "Deleted."},
	"record.system":                 {"系统信息", "System"},
	"record.createdby":              {"创建人", "Created by"},
	"record.createdat":              {"创建时间", "Created at"},
	"record.updatedat":              {"更新时间", "Updated at"},
	"record.version":                {"版本", "Version"},
	"audit.title":                   {"审计：流程、权限与发现", "Audit: workflows, permissions and findings"},
	"audit.all":                     {"全部应用", "All apps"},
	"audit.workflows":               {"流程图", "Workflow diagrams"},
	"audit.matrix":                  {"谁能做什么", "Who can do what"},
	"audit.findings":                {"审查发现", "Findings"},
	"audit.nofindings":              {"未发现问题。", "No findings."},
	"audit.role":                    {"角色", "Role"},
	"audit.scope":                   {"数据范围", "Scope"},
	"audit.blocked":                 {"已授权，但流程只允许其他角色执行", "granted, but the workflow lets other roles fire it"},
	"audit.severity":                {"级别", "Severity"},
	"audit.where":                   {"位置", "Where"},
	"audit.what":                    {"内容", "What"},
	"audit.forbidden":               {"只有审计或管理员角色可以查看审计页面", "Only auditors and administrators may open the audit pages"},
	"audit.definition":              {"定义版本", "Definition version"},
	"audit.otherapp":                {"您只能审计自己负责的应用，不能查看“%s”", "You audit other apps, not %s"},
	"audit.sev.high":                {"高", "high"},
	"audit.sev.medium":              {"中", "medium"},
	"audit.sev.low":                 {"低", "low"},
	"audit.toxic":                   {"不相容岗位组合（实际用户）", "Toxic combinations (real users)"},
	"audit.toxic.intro":             {"以下用户持有的角色合起来可以同时担任不相容的两端（录入与审核、审核与签章……）。not_by 在同一笔记录上会拒绝他们，但这些账号正是内部人员舞弊的起点，宜把角色分给不同的人。", "These users hold roles that together reach both sides of a segregation pair (entering and reviewing, reviewing and signing …). not_by refuses them on the same record, but these are the accounts an insider would use: split the roles between people."},
	"audit.toxic.none":              {"没有用户同时持有不相容岗位的角色。", "No user holds roles on both sides of a segregation pair."},
	"audit.toxic.user":              {"用户", "User"},
	"audit.toxic.org":               {"单位", "Org"},
	"audit.toxic.roles":             {"角色", "Roles"},
	"audit.toxic.first":             {"可先办理", "May first"},
	"audit.toxic.second":            {"再办理", "And then"},
	"audit.toxic.guard":             {"隔离措施", "Kept apart by"},
	"audit.toxic.open":              {"无：“%s”的 not_by 不涵盖这一组合，同一人可在同一笔记录上办理两端", "nothing: the not_by of %s does not cover this pair, one person may take both sides on one record"},
	"audit.toxic.held":              {"not_by: [%s]（“%s”）在同一笔记录上拒绝", "not_by: [%s] on %s refuses it on the same record"},
	"codes.title":                   {"代码集：%s", "Code set: %s"},
	"codes.none":                    {"没有匹配的代码。", "No codes match."},
	"codes.year":                    {"仅显示 %d 年度有效的代码。", "Only codes valid in %d are shown."},
	"codes.unusable":                {"（%d 年度无效）", " (not valid in %d)"},
	"codes.disabled":                {"（已停用）", " (disabled)"},
	"codes.more":                    {"仅显示前 %d 条，请输入更多字符缩小范围。", "Showing the first %d; type more to narrow it down."},
	"refs.none":                     {"没有匹配的记录。", "No records match."},
	"error.title":                   {"出错了", "Something went wrong"},
	"error.back":                    {"返回工作台", "Back to the portal"},
	"error.nopage":                  {"没有这个页面：%s", "There is no page at %s"},
	"error.method":                  {"这个页面不接受 %s 请求", "This page does not take %s requests"},
	"error.export.toobig":           {"符合条件的记录有 %d 条，超过一次导出的上限 %d 条，请缩小筛选范围后再导出。", "%d records match, more than the %d one export may hold; narrow the filter and export again."},
	"error.filter":                  {"筛选条件有误：%s", "The filter is not valid: %s"},
	"scope.all":                     {"全部", "all"},
	"scope.own":                     {"本人", "own"},
	"scope.own_org":                 {"本单位", "own org"},
	"scope.org_subtree":             {"本单位及下级", "org and below"},
	"action.create":                 {"新建", "create"},
	"action.read":                   {"查看", "read"},
	"action.update":                 {"修改", "update"},
	"action.delete":                 {"删除", "delete"},
	"action.export":                 {"导出", "export"},
	"record.messages":               {"交换报文", "Exchange messages"},
	"exchange.title":                {"交换异常", "Exchange exceptions"},
	"exchange.intro":                {"交换方发来、未能处理的报文（签名无效、找不到记录、状态不符等）。报文内容均未生效；处理后请写明处理意见，记入审计。", "Messages from the parties that could not be applied (bad signature, no record, wrong state …). Nothing of them was applied; say how each was handled, for the audit trail."},
	"exchange.open":                 {"只看未处理", "Unresolved only"},
	"exchange.all":                  {"全部（含已处理）", "All, resolved too"},
	"exchange.received":             {"收到时间", "Received"},
	"exchange.party":                {"交换方", "Party"},
	"exchange.type":                 {"报文类型", "Type"},
	"exchange.ref":                  {"引用", "Refers to"},
	"exchange.reason":               {"原因", "Reason"},
	"exchange.handling":             {"处理", "Handling"},
	"exchange.comment":              {"处理意见", "How it was handled"},
	"exchange.comment.required":     {"处理交换异常须填写处理意见", "Say how the exception was handled"},
	"exchange.resolve":              {"标记已处理", "Mark handled"},
	"exchange.resolved":             {"交换异常 #%d 已处理", "Exception #%d marked handled"},
	"exchange.resolvedby":           {"%s 已处理", "Handled by %s"},
	"exchange.none":                 {"没有待处理的交换异常。", "No exceptions to handle."},
	"exchange.reason.malformed":     {"报文格式错误", "Malformed"},
	"exchange.reason.unknown_party": {"未知交换方", "Unknown party"},
	"exchange.reason.no_party_key":  {"未导入交换方公钥", "Party's key not imported"},
	"exchange.reason.bad_signature": {"签名无效", "Bad signature"},
	"exchange.reason.unknown_type":  {"未知报文类型", "Unknown message type"},
	"exchange.reason.no_record":     {"找不到对应记录", "No such record"},
	"exchange.reason.wrong_state":   {"记录状态不符", "Record in the wrong state"},
	"exchange.reason.refused":       {"处理被拒绝", "Refused"},
	"nav.exchange":                  {"交换异常", "Exchange"},
	"recon.title":                   {"对账", "Reconciliation"},
	"recon.intro":                   {"交换方的对账单与我方报文、回执逐笔核对的结果。差异不会自动更正：请核实后写明处理意见，记入审计。", "Each party's statement compared with our messages and the receipts applied. Differences are never corrected automatically: check each and say how it was handled, for the audit trail."},
	"recon.open":                    {"未处理的对账差异", "Open differences"},
	"recon.none":                    {"没有未处理的对账差异。", "No open differences."},
	"recon.runs":                    {"对账记录", "Reconciliations"},
	"recon.noruns":                  {"尚未对账。", "Nothing reconciled yet."},
	"recon.one":                     {"对账 #%d", "Reconciliation #%d"},
	"recon.day":                     {"对账日期", "Day"},
	"recon.kind":                    {"结果", "Result"},
	"recon.msg":                     {"报文", "Message"},
	"recon.ours":                    {"我方金额/日期", "Ours"},
	"recon.theirs":                  {"对方金额/日期", "Theirs"},
	"recon.runat":                   {"对账时间", "Run"},
	"recon.matched":                 {"相符", "Matched"},
	"recon.differences":             {"差异", "Differences"},
	"recon.unresolved":              {"待处理", "Open"},
	"recon.comment.required":        {"处理对账差异须填写处理意见", "Say how the difference was handled"},
	"recon.resolved":                {"对账差异 #%d 已处理", "Difference #%d marked handled"},
	"recon.kind.matched":            {"相符", "Matched"},
	"recon.kind.missing_at_party":   {"对方无此笔", "Missing at the party"},
	"recon.kind.missing_at_us":      {"我方无此笔", "Missing at us"},
	"recon.kind.amount_differs":     {"金额不符", "Amount differs"},
	"recon.kind.date_differs":       {"日期不符", "Date differs"},
	"msg.out":                       {"发往 %s", "To %s"},
	"msg.in":                        {"来自 %s", "From %s"},
	"msg.pending":                   {"待发送", "Waiting to be sent"},
	"msg.sent":                      {"已发送 %s", "Sent %s"},
	"msg.failed":                    {"待重发（已尝试 %d 次：%s）", "Waiting to be sent again (%d attempts: %s)"},
	"msg.applied":                   {"已验签并处理", "Verified and applied"},
	"msg.sig":                       {"%s 签名 %s", "%s signature %s"},
	"msg.key":                       {"公钥指纹 %s", "key fingerprint %s"},
	"msg.valid":                     {"签名有效", "Signature valid"},
	"msg.invalid":                   {"签名无法验证", "Signature does not verify"},
	"books.title":                   {"账务", "Books"},
	"books.trial":                   {"试算平衡表", "Trial balance"},
	"books.ledger":                  {"总账 %s（%s 年）", "General ledger %s (%s)"},
	"books.detail":                  {"明细账 %s（%s 至 %s）", "Detail ledger %s (%s to %s)"},
	"books.forbidden":               {"账务（记账凭证、账簿）只有管理员（admin 角色）可以查看", "Only administrators (role admin) may see the books"},
	"books.period":                  {"会计期间", "Period"},
	"books.show":                    {"查看", "Show"},
	"books.vouchers":                {"%d 张凭证", "%d vouchers"},
	"books.closed":                  {"已结账", "closed"},
	"books.account":                 {"科目", "Account"},
	"books.name":                    {"科目名称", "Name"},
	"books.direction":               {"方向", "Side"},
	"books.opening.debit":           {"期初借方", "Opening debit"},
	"books.opening.credit":          {"期初贷方", "Opening credit"},
	"books.debit":                   {"借方", "Debit"},
	"books.credit":                  {"贷方", "Credit"},
	"books.closing.debit":           {"期末借方", "Closing debit"},
	"books.closing.credit":          {"期末贷方", "Closing credit"},
	"books.year.debit":              {"本年累计借方", "Year-to-date debit"},
	"books.year.credit":             {"本年累计贷方", "Year-to-date credit"},
	"books.balance":                 {"余额", "Balance"},
	"books.opening":                 {"期初余额", "Opening balance"},
	"books.closing":                 {"期末余额", "Closing balance"},
	"books.date":                    {"日期", "Date"},
	"books.voucher":                 {"凭证号", "Voucher"},
	"books.summary":                 {"摘要", "Summary"},
	"books.dims":                    {"辅助核算", "Dimensions"},
	"books.none":                    {"本期间没有凭证", "No vouchers up to this period"},
	"books.balanced":                {"借贷平衡：借方合计等于贷方合计", "Balanced: debits equal credits"},
	"books.unbalanced":              {"借贷不平：请运行 growth books verify", "Not balanced: run growth books verify"},
	"portal.admin.books":            {"试算平衡表、总账、明细账", "Trial balance, general and detail ledgers"},
	"login.sso.disabled":            {"统一身份认证已通过，但您在本系统的账户已停用，请联系管理员。", "The single sign-on succeeded, but your account here is disabled; ask your administrator."},
	"login.sso.unknown_user":        {"统一身份认证已通过，但本系统还没有您的账户，请联系管理员开通。", "The single sign-on succeeded, but you have no account here yet; ask your administrator."},
	"login.sso.expired":             {"登录已过期或不是从本页面发起的，请重新登录。", "The login expired or did not start on this page; log in again."},
	"login.sso.unavailable":         {"统一身份认证服务暂时无法访问，请稍后重试。", "The single sign-on service cannot be reached; try again later."},
	"login.sso.failed":              {"统一身份认证未通过，请重新登录。", "The single sign-on did not succeed; log in again."},
	"report.subtotal":               {"小计", "Subtotal"},
	"report.drill":                  {"查看明细", "Show the records"},
	"list.condition":                {"条件", "Condition"},
	"list.tag":                      {"数据标签", "Data tag"},
	"portal.dashboard":              {"仪表盘", "Dashboard"},
}
