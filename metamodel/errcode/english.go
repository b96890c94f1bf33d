package errcode

// english is the English of every message: code → Chinese format → English
// format, with the same verbs for the same arguments (%[2]s where English
// wants them in another order). A test finds every message the code builds
// and holds this catalogue to it: each Chinese format has its English, and
// each entry here is used.
var english = map[Code]map[string]string{
	Malformed: {
		"提交的数据包含无法识别的字段":                         "The data sent holds fields that are not recognised",
		"请求体应为 JSON 对象":                          "The request body should be a JSON object",
		"请求体不是有效的 JSON 对象：%v":                    "The request body is not a valid JSON object: %v",
		"请求体不是有效的 JSON 对象，或含有无法识别的字段：%v":         "The request body is not a valid JSON object, or holds fields that are not recognised: %v",
		"JSON 对象之后还有多余内容":                        "There is more after the JSON object",
		"请求体不是有效的 UTF-8 文本：第 %d 个字节起无法识别":        "The request body is not valid UTF-8 text: it cannot be read from byte %d on",
		"请求体第 %d 个字节起的 \\u%04X 是不成对的代理项，不是有效的字符": "The \\u%[2]04X at byte %[1]d of the request body is half of a surrogate pair, not a valid character",
		"请求体中的键 %q 出现了不止一次%s；每个键只能给一次":           "The key %q appears more than once in the request body%s; give each key once",
		"（在 %s 中）":                                " (in %s)",
		"请求体应为 {\"date\": \"YYYY-MM-DD\"}":        "The request body should be {\"date\": \"YYYY-MM-DD\"}",
		"请以 multipart/form-data 上传，文件放在字段 file 中": "Upload as multipart/form-data, with the file in the field file",
		"记录编号应为正整数，收到 %q":                         "A record number should be a positive integer, not %q",
		"一次最多处理 %d 条记录":                           "At most %d records at a time",
		"表单缺少版本号，请刷新页面后重试":                        "The form has no version; reload the page and try again",
		"应为正整数，收到 %q":                             "Should be a positive whole number, not %q",
		"删除记录须在查询参数中提供读取时的 version":               "A delete must give the version the record was read at as a query parameter",
		"应为 account 或 source，收到 %q":               "Should be account or source, not %q",
		"%v（公开报表只能按其分组且声明为筛选的字段筛选）":               "%v (a public report filters only by its groups that are declared as filters)",
	},
	Unauthorized: {
		"请先登录":                     "Please log in",
		"登录凭据无效，请重新登录":             "The login credentials are not valid; please log in again",
		"登录已过期，请重新登录":              "The login has expired; please log in again",
		"长时间未操作，登录已过期，请重新登录":       "The login expired after a long time without use; please log in again",
		"登录已注销，请重新登录":              "The login was ended; please log in again",
		"账户已停用，请联系管理员":             "The account is disabled; ask your administrator",
		"用户名或密码错误":                 "Wrong user name or password",
		"本系统已关闭本地密码登录，请通过统一身份认证登录": "Passwords are off here; log in through single sign-on",
		"统一身份认证已通过，但本系统没有用户 %s，且不自动开通，请联系管理员": "Single sign-on accepted you, but there is no user %s here and users are not created automatically; ask your administrator",
		"统一身份认证给出的用户名 %q 不能用作本系统的用户名":         "The user name %q from single sign-on cannot be a user name here",
		"统一身份认证未通过，请重新登录":                     "Single sign-on did not accept the login; please log in again",
		"登录已过期或不是从本系统发起的，请重新登录":               "The login expired or did not start here; please log in again",
		"Authorization 头应为 “Bearer 令牌”":       "The Authorization header should be \"Bearer TOKEN\"",
	},
	Forbidden: {
		"您无权新建%s":               "You may not create %s",
		"您无权查看%s":               "You may not see %s",
		"您无权修改%s":               "You may not change %s",
		"您无权删除%s":               "You may not delete %s",
		"您无权导入%s":               "You may not import %s",
		"您无权导出%s":               "You may not export %s",
		"您无权对%s执行“%s”":          "You may not do \"%[2]s\" on %[1]s",
		"%s #%d 不在您的数据范围内":      "%s #%d is outside your data scope",
		"不能为您的数据范围以外的单位新建%s":    "You may not create %s for an org outside your data scope",
		"不能把%s改到您的数据范围以外":       "You may not move %s outside your data scope",
		"“%s”只能由%s执行":           "\"%s\" may only be done by %s",
		"不能审批自己创建的记录":           "You may not approve a record you created",
		"不能审批自己修改过的记录":          "You may not approve a record you changed",
		"不能审批自己提交的记录":           "You may not approve a record you submitted",
		"不能审批自己经办过的记录：您执行过“%s”": "You may not approve a record you handled: you did \"%s\"",
		"不能连续审批：上一步“%s”由您执行":    "You may not approve twice in a row: you did the step before, \"%s\"",
		"不能停用自己或取消自己的管理员角色；请由另一位管理员操作":                         "You may not disable yourself or take away your own admin role; another administrator must do it",
		"只有管理员可以处理交换异常":                                        "Only administrators may handle exchange exceptions",
		"只有管理员可以处理对账差异":                                        "Only administrators may handle reconciliation differences",
		"只有管理员（admin 角色）可以管理用户":                                "Only administrators (role admin) may manage users",
		"账务（记账凭证、账簿）只有管理员（admin 角色）可以查看和处理":                    "Only administrators (role admin) may see and handle the books (vouchers and ledgers)",
		"只有本机、持有指标令牌（--metrics-token）的抓取程序或平台管理员可以读取 /metrics": "Only this host, a scraper holding the metrics token (--metrics-token) or a platform administrator may read /metrics",
		"导出文件“%s”用到您不可见的字段 %s.%s":                              "The export \"%s\" uses the field %s.%s, which you may not see",
		"您无权查看%s，不能导出“%s”":                                     "You may not see %s, so you may not export \"%s\"",
		"您没有可填写附件的字段，不能上传文件":                                   "You have no file field to fill in, so you may not upload files",
		"报表“%s”按您不可见的字段 %s 分组":                                 "The report \"%s\" groups by the field %s, which you may not see",
		"报表“%s”汇总您不可见的字段 %s":                                   "The report \"%s\" sums the field %s, which you may not see",
		"表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试":                       "The form has expired or did not come from here (CSRF check failed); reload the page and try again",
	},
	NotFound: {
		"未找到：%s":         "Not found: %s",
		"没有这个接口：%s %s":   "There is no such endpoint: %s %s",
		"记录编号无效":         "Not a valid record number",
		"记录编号 %q 无效":     "%q is not a valid record number",
		"%s 没有余额":        "%s has no balance",
		"%s 没有审批流程":      "%s has no workflow",
		"%s 的流程中没有事件 %s": "The workflow of %s has no event %s",
		"交换异常 #%d":       "exchange exception #%d",
		"代码集 %s":         "code set %s",
		"公开报表 %s/%s":     "public report %s/%s",
		"报表 %s/%s":       "report %s/%s",
		"对账 #%d":         "reconciliation #%d",
		"对账差异 #%d":       "reconciliation difference #%d",
		"应用 %s":          "app %s",
		"流程 %s/%s":       "workflow %s/%s",
		"文件 #%d":         "file #%d",
		"文件 %q":          "file %q",
		"导出文件 %s.%s.%s":  "export %s.%s.%s",
		"用户 %s":          "user %s",
	},
	MethodNotAllowed: {
		"%s 不接受 %s 请求": "%s does not take %s requests",
	},
	TooLarge: {
		"请求体过大（上限 1 MiB；文件请以 multipart 上传）": "The request body is too large (at most 1 MiB; upload files as multipart)",
		"文件过大（上限 %s）":                       "The file is too large (at most %s)",
		"上传内容过大（上限 %s）":                     "The upload is too large (at most %s)",
		"文件“%s”大小 %s，超过上限 %s":               "The file \"%s\" is %s, over the limit of %s",
		"请求行和请求头合计超过 %d KiB（最长的筛选条件编码后也不到一半，请检查其他参数、Cookie 和请求头）": "The request line and headers together are over %d KiB (the longest filter, encoded, takes less than half of it: check the other parameters, the cookies and the headers)",
	},
	Validation: {
		"提交的数据未通过校验": "The data sent did not pass the checks",
		"%s #%d：%s":  "%s #%d: %s",
	},
	ImportRejected: {
		"导入未执行：%d 行有误，未导入任何记录": "Nothing was imported; rows with problems: %d",
	},
	IdempotencyKeyReused: {
		"幂等键 %q 已用于您的另一请求，请为新请求使用新的键（同一请求重试时须原样重发）": "The idempotency key %q was used for another request of yours; use a new key for a new request (a retry must send the same request again)",
	},
	Locked: {
		"登录失败次数过多，账户 %s 已暂时锁定，请 %d 分钟后再试": "Too many failed logins: the account %s is locked for now; try again in %d minutes",
	},
	RateLimited: {
		"登录尝试过于频繁，请 %d 秒后再试":         "Logins are too frequent; try again in %d seconds",
		"来自您的地址的登录失败次数过多，请 %d 分钟后再试": "Too many failed logins from your address; try again in %d minutes",
	},
	Canceled: {
		"请求已取消": "The request was canceled",
	},
	Internal: {
		"服务器内部错误，请稍后重试；问题已记录": "Internal server error; please try again later (the problem has been logged)",
	},
	DefinitionsChanged: {
		"本服务器的定义版本 %s 与数据库当前的定义版本 %s 不一致（数据库已由另一版本的定义迁移），本服务器暂停写入，只可查询；请改用已升级的服务器，或以当前定义重启本服务器": "This server's definitions %s differ from the database's current definitions %s (another version migrated the database): this server refuses writes and only reads; use an upgraded server, or restart this one with the current definitions",
	},
	Database: {
		"数据库无法访问": "The database cannot be reached",
	},
	SSOUnavailable: {
		"统一身份认证服务暂时无法访问，请稍后重试：%v": "Single sign-on cannot be reached for now; try again later: %v",
	},

	Stale: {
		"%s 已被他人修改（当前版本 %d，您的版本 %d），请刷新后重试": "%s was changed by someone else (now version %d, yours %d); reload and try again",
		"%s 已被他人修改（您的版本 %d 已过期），请刷新后重试":     "%s was changed by someone else (your version %d is out of date); reload and try again",
	},
	Duplicate: {
		"%s 中已存在相同的%s":  "%s already has a record with the same %s",
		"已存在相同的值":       "This value is taken",
		"用户 %s 已存在":     "The user %s already exists",
		"已存在同名用户":       "There is a user of that name",
		"与第 %d 行重复（%s）": "Repeats line %d (%s)",
	},
	State: {
		"%s #%d 当前状态为“%s”，不能执行“%s”（仅可在%s状态下执行）": "%s #%d is \"%s\" now and cannot do \"%s\" (only from %s)",
		"%s 在“%s”状态下不能修改":                       "%s cannot be changed while \"%s\"",
		"%s 在“%s”状态下不能删除":                       "%s cannot be deleted while \"%s\"",
		"“%s”状态下不能执行事件 %s":                      "The event %[2]s cannot be done from \"%[1]s\"",
	},
	Blocked: {
		"%s（%s #%d）": "%s (%s #%d)",
	},
	Retry: {
		"与同时进行的其他操作冲突，未作任何更改，请重试": "This crossed another change made at the same time; nothing was changed, please try again",
	},
	DuplicateApproval: {
		"您已就“%s”审批过（%d/%d），须由其他人审批": "You already approved \"%s\" (%d/%d); someone else must approve",
		"您已审批过此步骤，须由其他人审批":          "You already approved this step; someone else must approve",
		"您已审批（%d/%d），等待其他人审批":       "You approved (%d/%d); waiting for the others",
	},
	InsufficientBalance: {
		"%s 可用余额不足：可用 %s，%s %s": "%s does not have enough available: %s available, %s %s",
		"%s 已冻结 %s，不能解冻 %s":     "%s has %s frozen, so %s cannot be unfrozen",
	},
	AccountNotOpen: {
		"%s 尚未生效（没有可用额度）": "%s is not in force yet (nothing is available)",
	},
	LedgerState: {
		"%s 的余额与本次变动不符（已预留 %s，已使用 %s），请刷新后重试": "The balances of %s do not fit this change (%s reserved, %s used); reload and try again",
	},
	BalanceInUse: {
		"%s 已有预留 %s、使用 %s、冻结 %s，不能删除": "%s has %s reserved, %s used and %s frozen, and cannot be deleted",
	},
	AdjustmentApplied: {
		"%s #%d 已生效，不能修改或删除；请另行调整": "%s #%d is in force and cannot be changed or deleted; make another adjustment",
	},
	IdempotencyInProgress: {
		"幂等键 %q 已被您的另一请求使用（可能仍在处理），请稍后用同一键重试以取得其结果": "The idempotency key %q is in use by another request of yours (which may still be running); retry later with the same key to get its answer",
	},
	PeriodClosed: {
		"会计期间 %s 已结账，不能再记入凭证（凭证日期 %s）；更正请在未结账期间做冲销凭证": "The accounting period %s is closed, no voucher may be posted to it (voucher date %s); correct it with a reversing voucher in an open period",
		"会计期间 %s 已经结账": "The accounting period %s is already closed",
	},
	VoucherUnbalanced: {
		"%s：%s 生成的记账凭证借贷不平（借方 %s，贷方 %s），事件未执行": "%s: the voucher %s makes does not balance (debit %s, credit %s); the event was not done",
	},
	VoucherReversed: {
		"凭证 %s 已经冲销过": "The voucher %s was already reversed",
	},
	VoucherReversal: {
		"凭证 %s 本身是冲销凭证，不能再冲销": "The voucher %s is itself a reversal and cannot be reversed",
	},
	Matched: {
		"对账项 #%d 已相符，无须处理": "Reconciliation item #%d matched; there is nothing to handle",
	},
	Resolved: {
		"对账差异 #%d 已处理": "Reconciliation difference #%d was already handled",
		"交换异常 #%d 已处理": "Exchange exception #%d was already handled",
	},
	MessageTotal: {
		"发往%s的%s合计 %s 与%s %s 不符，未发送": "The total %[3]s of %[2]s to %[1]s disagrees with %[4]s %[5]s; it was not sent",
	},
	RollupDepth: {
		"汇总超过 %d 层（记录之间可能循环引用），未能保存": "Rollups go deeper than %d levels (records may refer to each other in a loop); nothing was saved",
	},
	ExportValue: {
		"%s“%s”无法计算：%v": "%s, \"%s\": cannot be computed: %v",
	},
	ExportTotal: {
		"%s的合计金额无法计算：%v":                  "%s: the total amount cannot be computed: %v",
		"%s的合计金额不是数字：%v":                  "%s: the total amount is not a number: %v",
		"文件合计 %s 与%s #%d 的%s %s 不符，未生成文件": "The file's total %s disagrees with the %[4]s of %[2]s #%[3]d, %[5]s; no file was made",
	},
	ExportEncoding: {
		"%s“%s”的值“%s”含有 GBK 无法表示的字符": "%s, \"%s\": the value \"%s\" holds characters GBK cannot write",
		"分隔符无法用 GBK 表示":              "The separator cannot be written in GBK",
	},
	ExportWidth: {
		"%s“%s”的值含有换行，定长文件不能写入":       "%s, \"%s\": the value holds a line break, which a fixed-width file cannot hold",
		"%s“%s”的值“%s”占 %d 字节，超过宽度 %d": "%s, \"%s\": the value \"%s\" takes %d bytes, wider than %d",
	},

	Required: {
		"%s 为必填项":                               "%s is required",
		"“%s”须填写意见":                             "\"%s\" needs a comment",
		"修改记录须提供读取时的 version":                   "A change must give the version the record was read at",
		"发往%s的报文须引用“%s”，该字段为空":                  "A message to %s must refer to \"%s\", which is empty",
		"处理交换异常须填写处理意见":                         "Handling an exchange exception needs a comment",
		"处理对账差异须填写处理意见":                         "Handling a reconciliation difference needs a comment",
		"请以 multipart/form-data 上传文件（字段名 file）": "Upload the file as multipart/form-data (field name file)",
		"请输入用户名和密码":                             "Enter your user name and password",
		"调剂须指定调入的%s":                            "A transfer needs the %s to move to",
	},
	Type: {
		"应为整数":       "Should be a whole number",
		"应为整数，收到 %q": "Should be a whole number, not %q",
		"应为整数，收到 %s": "Should be a whole number, not %s",
		"应为整数，收到 %v": "Should be a whole number, not %v",
		"应为数字":       "Should be a number",
		"%q 不是有效的数字": "%q is not a valid number",
		"金额和小数请以字符串传送，如 \"1234.56\"": "Send amounts and decimals as strings, such as \"1234.56\"",
		"应为文本":                    "Should be text",
		"不是有效的 UTF-8 文本":          "Not valid UTF-8 text",
		"应为 true 或 false":         "Should be true or false",
		"日期格式应为 YYYY-MM-DD":       "Dates are written YYYY-MM-DD",
		"日期格式应为 YYYY-MM-DD，收到 %q": "Dates are written YYYY-MM-DD, not %q",
		"时间格式应为 RFC 3339":         "Times are written in RFC 3339",
		"时间格式应为 RFC 3339（如 2026-01-02T15:04:05+08:00），收到 %q": "Times are written in RFC 3339 (such as 2026-01-02T15:04:05+08:00), not %q",
		"应为记录编号（整数）":                                         "Should be a record number (a whole number)",
		"记录编号应为正整数":                                          "A record number is a positive whole number",
		"应为已上传文件的编号（整数），请先通过 POST /api/files 上传":             "Should be the number of an uploaded file (a whole number); upload it first with POST /api/files",
		"文件编号应为正整数":                                          "A file number is a positive whole number",
		"version 应为正整数":                                      "version should be a positive whole number",
		"意见应为文本":                                             "The comment should be text",
		"values 应为对象：{字段: 值}":                                "values should be an object: {field: value}",
	},
	Scale: {
		"最多 %d 位小数": "At most %d decimals",
	},
	Min: {
		"不能小于 %d": "Must not be below %d",
		"不能小于 %s": "Must not be below %s",
	},
	Max: {
		"不能大于 %d": "Must not be above %d",
		"不能大于 %s": "Must not be above %s",
	},
	Range: {
		"数值过大": "The number is too large",
	},
	TooLong: {
		"最多 %d 个字符，当前 %d 个": "At most %d characters; this has %d",
		"幂等键最长 %d 个字符":      "An idempotency key has at most %d characters",
	},
	MaxLength: {
		"姓名最长 100 个字符":      "A display name has at most 100 characters",
		"姓名不能为空，最长 100 个字符": "A display name must not be empty and has at most 100 characters",
	},
	Pattern: {
		"格式不正确": "Not in the right format",
		"用户名 %q 无效：只能包含小写字母、数字和 _ . @ -，以字母或数字开头，最长 64 个字符": "The user name %q is not valid: only lower-case letters, digits and _ . @ -, starting with a letter or a digit, at most 64 characters",
	},
	Enum: {
		"应为以下之一：%s":  "Should be one of: %s",
		"未知的调整类型 %s": "Unknown adjustment kind %s",
	},
	NulCharacter: {
		"不能包含 NUL 字符（\\u0000）":             "Must not hold a NUL character (\\u0000)",
		"姓名不能包含 NUL 字符或无效的 UTF-8":          "A display name must not hold a NUL character or invalid UTF-8",
		"意见不能包含 NUL 字符（\\u0000）或无效的 UTF-8": "A comment must not hold a NUL character (\\u0000) or invalid UTF-8",
	},
	InvalidUTF8: {
		"幂等键不是有效的 UTF-8 文本": "The idempotency key is not valid UTF-8 text",
	},
	ControlCharacter: {
		"幂等键不能包含控制字符": "An idempotency key must not hold control characters",
	},
	OutOfRange: {
		"日期须在 0001-01-01 至 9999-12-31 之间，收到 %s": "Dates are between 0001-01-01 and 9999-12-31, not %s",
	},
	Invalid: {
		"请为筛选起一个名称":             "Give the filter a name",
		"名称最多 %d 个字符":           "A name has at most %d characters",
		"筛选条件最多 %d 个字符":         "A filter has at most %d characters",
		"筛选条件不是有效的查询字符串":        "The filter is not a valid query string",
		"每人最多保存 %d 个筛选，请先删除不用的": "Everyone may keep at most %d filters; delete one you no longer use first",
	},
	UnknownCode: {
		"代码 %s 不在代码集“%s”中": "The code %s is not in the code set \"%s\"",
	},
	CodeNotLeaf: {
		"代码 %s（%s）不是末级代码，请选择其下级": "The code %s (%s) is not a leaf; choose one below it",
	},
	CodeDisabled: {
		"代码 %s（%s）已停用": "The code %s (%s) is disabled",
	},
	CodeNotValid: {
		"代码 %s（%s）在 %d 年度无效": "The code %s (%s) is not valid in %d",
	},
	RefNotFound: {
		"%s #%d 不存在": "%s #%d does not exist",
		"%s 不存在":     "%s does not exist",
	},
	RefForbidden: {
		"您无权查看%s，不能引用": "You may not see %s, so you may not refer to it",
	},
	Readonly: {
		"%s 是只读字段": "%s is read-only",
	},
	UnknownField: {
		"%s 中没有字段 %s": "%s has no field %s",
		"事件只接受 comment（意见）和 values（本环节填写的字段）": "An event takes only comment and values (the fields filled in at this step)",
	},
	SystemField: {
		"系统字段 %s 不能直接写入": "The system field %s cannot be written",
	},
	Computed: {
		"%s 无法根据填写的内容计算，请检查相关字段": "%s could not be computed from the values given; check the fields it depends on",
	},
	Set: {
		"%s 无法计算：%v":    "%s cannot be computed: %v",
		"%s：%s":         "%s: %s",
		"“%s”无法设置%s：%v": "\"%s\" cannot set %s: %v",
		"“%s”无法设置%s：%s": "\"%s\" cannot set %s: %s",
	},
	NotInput: {
		"“%s”只接受 %s":  "\"%s\" takes only %s",
		"“%s”不接受任何字段": "\"%s\" takes no fields",
	},
	Guard: {
		"不满足条件：%s":      "The condition does not hold: %s",
		"%s（条件无法计算：%v）": "%s (the condition could not be evaluated: %v)",
		"事件 %s：%s":      "Event %s: %s",
	},
	Mismatch: {
		"%s 与%s的%s不一致（%s为 %s，本单为 %s）": "%s disagrees with the %[3]s of %[2]s (%[4]s has %[5]s, this record %[6]s)",
	},
	AmountNotPositive: {
		"%s必须大于 0": "%s must be above 0",
		"%s不能为负数":  "%s must not be negative",
	},
	TransferSameAccount: {
		"调出与调入不能是同一%s（%s）": "A transfer cannot move from and to the same %s (%s)",
	},
	DrawWhen: {
		"取数条件无法计算：%v": "The draw's condition could not be evaluated: %v",
	},
	Password: {
		"密码至少 %d 个字符":             "A password has at least %d characters",
		"密码最长 72 个字节（bcrypt 的上限）": "A password has at most 72 bytes (bcrypt's limit)",
		"密码不能与用户名相同":              "The password must not be the user name",
		"这是常见密码，很容易被猜到；请换一个":      "This is a common password, easily guessed; choose another",
		"密码太容易猜到（如键盘连续键、重复或顺序字符、常见词、日期、用户名）；请用更长、更不规则的密码，例如几个不相关的词": "The password is too easy to guess (keyboard runs, repeated or sequential characters, common words, dates, the user name); use a longer, less regular one, such as a few unrelated words",
	},
	UnknownRole: {
		"角色 %s 不存在，是否要写 %s？（应为平台角色（%s）或“应用.角色”）": "There is no role %s; did you mean %s? (a platform role (%s) or \"app.role\")",
		"角色 %s 不存在：应为平台角色（%s）或“应用.角色”，如 %s":      "There is no role %s: a role is a platform role (%s) or \"app.role\", such as %s",
	},
	UnknownOrg: {
		"单位 %s 无效：没有实体声明 org_field，没有可用的单位代码集": "The org %s is not valid: no entity declares an org_field, so there is no org code set",
		"单位 %s 不在单位代码集（%s）中":                   "The org %s is not in the org code sets (%s)",
	},
	Scope: {
		"不能为您的数据范围以外的单位新建%s": "You may not create %s for an org outside your data scope",
	},
	File: {
		"文件是空的：第一行应为字段名（或字段标题）":               "The file is empty: the first row should name the fields (or give their labels)",
		"不支持的文件格式 %q：请上传 CSV 或 Excel（xlsx）文件": "The file format %q is not supported: upload a CSV or Excel (xlsx) file",
		"第 %d 列“%s”不是%s的字段":                   "Column %d, \"%s\", is not a field of %s",
		"第 %d 列“%s”与第 %d 列是同一字段 %s":           "Column %d, \"%s\", is the same field as column %d, %s",
		"第 %d 列 %s（导入时直接执行流程事件）只能由平台导入（growth seed 或 growth import）使用，上传文件不能跳过审批": "Column %d, %s (workflow events done on import), is for the platform's imports only (growth seed or growth import); an uploaded file cannot skip approval",
		"第 %d 列 %s：%s 没有审批流程":                     "Column %d, %s: %s has no workflow",
		"文件超过 %d 行数据的上限（第 %d 行）；请分成几个文件导入":        "The file is over the limit of %d data rows (at line %d); split it into several files",
		"第 %d 行有 %d 列，超过 %d 列的上限":                 "Line %d has %d columns, over the limit of %d",
		"%s有 %d 个字符，超过单元格 %d 个字符的上限":              "%s has %d characters, over the limit of %d for a cell",
		"文件中单元格的内容合计超过 %s 的上限（至第 %d 行）；请分成几个文件导入": "The cells of the file together are over the limit of %s (by line %d); split it into several files",
		"第 %d 行第 %d 列":   "line %d, column %d",
		"单元格 %s（第 %d 行）": "cell %s (line %d)",
		"第 %d 行起的一行超过 %s 的上限（单元格最多 %d 个字符）":               "The row from line %d on is over the limit of %s (a cell has at most %d characters)",
		"不是有效的 CSV 文件：%v":                                 "Not a valid CSV file: %v",
		"读取文件失败：%v":                                       "The file could not be read: %v",
		"Excel 文件超过 %s 的上限":                               "The Excel file is over the limit of %s",
		"不是有效的 Excel（xlsx）文件：%v":                          "Not a valid Excel (xlsx) file: %v",
		"不是有效的 Excel（xlsx）文件：%s：%v":                       "Not a valid Excel (xlsx) file: %s: %v",
		"Excel 文件有 %d 个部件，超过 %d 个的上限":                     "The Excel file has %d parts, over the limit of %d",
		"Excel 文件解压后超过 %s 的上限（至部件 %s 已达 %s）":              "The Excel file unpacked is over the limit of %s (%[3]s by part %[2]s)",
		"Excel 文件的部件 %s 解压后 %s，超过单个部件 %s 的上限":             "The part %s of the Excel file is %s unpacked, over the limit of %s for one part",
		"Excel 文件中没有工作表":                                  "The Excel file has no sheet",
		"读取工作表 %s 失败：%v":                                  "The sheet %s could not be read: %v",
		"读取工作表 %s 第 %d 行失败：%v":                            "Line %[2]d of the sheet %[1]s could not be read: %[3]v",
		"Excel 文件共享字符串表中第 %d 个字符串超过单元格 %d 个字符的上限":         "String %d of the Excel file's shared strings is over the limit of %d characters for a cell",
		"单元格 %s（工作表 %s）超过 %d 个字符的上限":                      "The cell %s (sheet %s) is over the limit of %d characters",
		"工作表 %s 中有内容超过单元格 %d 个字符的上限":                      "The sheet %s holds a cell over the limit of %d characters",
		"第 %d 行有超过 %d 个有值的单元格（工作表 %s，至单元格 %s），超过 %d 列的上限": "Line %d has more than %d cells with values (sheet %s, by cell %s), over the limit of %d columns",
		"Excel 文件的部件 %s 中有一段标记超过 %s 的上限":                  "The part %s of the Excel file holds markup over the limit of %s",
	},
	FileNotFound: {
		"文件 #%d 不存在或不是您上传的": "There is no file #%d, or you did not upload it",
	},
	FileTooLarge: {
		"文件“%s”大小 %s，超过%s的上限 %s": "The file \"%s\" is %s, over the limit of %[3]s, %[4]s",
	},
	FileType: {
		"文件“%s”的类型不符合%s的要求（%s）": "The file \"%s\" is not of a type %s takes (%s)",
	},
	FileName: {
		"文件名不能为空": "A file needs a name",
	},
	Empty: {
		"文件“%s”是空的": "The file \"%s\" is empty",
	},
	ContentMismatch: {
		"文件“%s”的内容（%s）与扩展名 .%s 不符":  "The content of the file \"%s\" (%s) does not match its extension .%s",
		"文件“%s”声明的类型 %s 与其内容（%s）不符": "The file \"%s\" says it is %s, but its content is %s",
	},
	Quota: {
		"您已上传但尚未用于任何记录的文件共 %s，再上传“%s”（%s）将超过每人 %s 的上限；请先把已上传的文件填入记录并保存，未使用的文件 %s 后自动清除": "Your uploads that no record holds yet come to %s; \"%s\" (%s) would take them over the limit of %s each; fill the uploaded files into records and save them first (unused files are deleted after %s)",
	},
	ChartUnknown: {
		"定义中没有记账规则（postings），没有科目表": "The definitions have no postings, so there is no chart of accounts",
		"科目表 %q 不是记账规则使用的科目表（%s）":   "%q is not a chart of accounts the postings use (%s)",
	},
	ChartRequired: {
		"请指定科目表（chart）：%s": "Name the chart of accounts (chart): %s",
	},
	AccountUnknown: {
		"科目 %q 不在科目表 %s 中": "The account %q is not in the chart %s",
	},
	AccountMissing: {
		"%s 为空，无法记账": "%s is empty, so nothing can be posted",
	},
	PeriodInvalid: {
		"会计期间 %q 应写作 YYYY-MM，如 2026-01": "The accounting period %q should be written YYYY-MM, such as 2026-01",
	},
	VoucherInvalid: {
		"凭证号 %q 应写作 期间#编号，如 2026-01#0001": "The voucher number %q should be written PERIOD#NUMBER, such as 2026-01#0001",
	},
	DateInvalid: {
		"冲销日期应写作 YYYY-MM-DD": "The reversal date should be written YYYY-MM-DD",
	},
	Posting: {
		"记账（%s）：%s":             "Posting (%s): %s",
		"记账条件无法计算：%v":           "The posting's condition could not be evaluated: %v",
		"第 %d 行金额 %s 无法计算：%v":   "Line %d, amount %s: cannot be computed: %v",
		"第 %d 行金额 %s 不是金额（%T）":  "Line %d, amount %s: not an amount (%T)",
		"第 %d 行金额 %s = %s 不是整分": "Line %d, amount %s = %s: not a whole fen",
		"第 %d 行金额 %s = %s 为负数":  "Line %d, amount %s = %s: negative",
	},
	Generate: {
		"%s（来源 %s #%d）":                  "%s (from %s #%d)",
		"%s（第 %d 条，共 %d 条）":              "%s (%d of %d)",
		"生成 %s 失败：":                      "Making %s failed: ",
		"生成 %s失败：":                       "Making %s failed: ",
		"生成 %s 失败：unless（%s）：%v":         "Making %s failed: unless (%s): %v",
		"生成 %s 失败：条件（%s）无法计算：%v":         "Making %s failed: the condition (%s) could not be evaluated: %v",
		"生成 %s 失败：条数（%s）无法计算：%v":         "Making %s failed: the count (%s) could not be computed: %v",
		"生成 %s 失败：条数（%s）应为不小于零的整数，得到 %v": "Making %s failed: the count (%s) should be a whole number of at least zero, not %v",
	},
	GenerateLimit: {
		"生成 %s 失败：%d 条超过一次最多生成 %d 条的上限":             "Making %s failed: %d is over the limit of %d records at a time",
		"生成 %s 失败：本次共需生成超过 %d 条记录，超过一次最多生成 %d 条的上限": "Making %s failed: this would make more than %d records, over the limit of %d at a time",
		"生成 %s 失败：符合条件的%s超过 %d 条，超过一次最多生成 %d 条的上限":  "Making %s failed: more than %[3]d %[2]s match, over the limit of %[4]d at a time",
	},
}
