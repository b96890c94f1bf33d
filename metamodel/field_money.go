package metamodel

// Money is an exact amount in yuan with two decimals, stored as integer fen.
// It is the decimal type with its scale fixed, so that no definition can make
// an amount imprecise.
func init() { RegisterFieldType(decimalType{name: "money", fixedScale: 2, money: true}) }
