package engine_test

// testApp is a small app with one field of every type, a code set with an
// extension, a rule, a computed field and a reference.
var testApp = map[string]string{
	"demo/app.yaml": `
app: demo
title: 测试
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "101002", name: 国库支付中心, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 教育厅本级, parent: "102"}
      - {code: "102009", name: 已撤销单位, parent: "102", enabled: false}
      - {code: "102010", name: 新设单位, parent: "102", valid_from: 2027}
entities:
  grant:
    title: 拨款
    org_field: agency
    year_field: year
    filters: [year]
    unique: [[year, doc_no]]
    fields:
      year:     {type: int, required: true, min: 2000, max: 2100, label: 年度}
      doc_no:   {type: string, required: true, max_length: 20, pattern: "[A-Z0-9-]+", label: 文号}
      agency:   {type: code, codeset: org, leaf_only: true, required: true, label: 单位}
      amount:   {type: money, required: true, min: 0, label: 金额}
      used:     {type: money, default: 0, label: 已用}
      rate:     {type: decimal, scale: 4, label: 比例}
      left:     {type: computed, expr: "amount - used", label: 余额}
      start:    {type: date, label: 开始日期}
      approved_at: {type: datetime, label: 批准时间}
      urgent:   {type: bool, default: false, label: 加急}
      kind:     {type: enum, values: [{value: basic, label: 基本}, {value: project, label: 项目}], default: basic, label: 类别}
      note:     {type: text, label: 备注}
    rules:
      - assert: "used <= amount"
        message: 已用金额不能超过金额
        fields: [used]
  spend:
    title: 支出
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true, min: 0.01}
`,
}
