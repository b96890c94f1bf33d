// Package stdcheck implements the check algorithms of Chinese national code
// standards, for use by the Growth rule language and by any package that has
// to validate such codes on input:
//
//   - USCC: unified social credit code (GB 32100-2015);
//   - ResidentID / ResidentIDInfo: resident identity card number
//     (GB 11643-1999), including birth date and sex;
//   - Luhn: bank card numbers (ISO/IEC 7812 Luhn mod-10);
//   - DivisionCode: administrative division code (GB/T 2260) and the 9-digit
//     fiscal division code built on it.
//
// Every validator returns nil for a valid value, or an error whose message is
// short Chinese text saying what is wrong (for example "校验码错误：应为 X").
// Errors wrap the exported sentinels (ErrLength, ErrCharset, ErrChecksum,
// ErrDate, ErrDivision) so that callers can classify them with errors.Is.
//
// The validators check structure and check characters only; they do not
// consult any register, so a valid result means "well formed", not "exists".
// Input is taken as is: callers trim blanks and separators beforehand.
//
// The package owns only these algorithms and imports only the Go standard
// library.
package stdcheck
