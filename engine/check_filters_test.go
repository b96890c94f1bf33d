package engine_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// loadErr is what loading and checking files says, as every command does.
func loadErr(t testing.TB, files map[string]string) error {
	t.Helper()
	_, err := engine.LoadDefinitions(enginetest.WriteDefinitions(t, files))
	return err
}

func TestCheckFilters(t *testing.T) {
	if err := loadErr(t, scheduleDefs); err != nil {
		t.Fatalf("valid filters: %v", err)
	}
	if err := loadErr(t, exportDefs); err != nil {
		t.Fatalf("valid filters: %v", err)
	}
	bad := strings.NewReplacer(
		`where: "paid_total = '0'"`, `where: "paid_totl = '0'"`,
		`where: "amount > '1000000'"`, `where: "amount > 'lots'"`,
		`unless: "allocation = $allocation and rule = 'big'"`, `unless: "allocation = $allocation and rul = 'big'"`,
	).Replace(scheduleDefs["fund/app.yaml"])
	err := loadErr(t, map[string]string{"fund/app.yaml": bad})
	var de *metamodel.DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DefinitionError", err)
	}
	want := []string{
		`fund/app.yaml:30:12: schedule idle_funds: where: at 0: unknown field "paid_totl" (did you mean "paid_total"?) (in "paid_totl = '0'")`,
		`fund/app.yaml:40:12: schedule big: where: at 9: amount: "lots" 不是有效的数字`,
		`fund/app.yaml:44:15: schedule big: create: unless: at 29: unknown field "rul"`,
	}
	if len(de.Problems) != len(want) {
		t.Fatalf("problems:\n%v", err)
	}
	for i, p := range de.Problems {
		if !strings.HasPrefix(p.String(), want[i]) {
			t.Errorf("problem %d: %s\nwant it to start with %s", i, p, want[i])
		}
	}
}

// An exchange message's lines filter is checked at load like an export's.
func TestCheckFiltersExchangeLines(t *testing.T) {
	text, err := os.ReadFile("testdata/exchange/orders/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadErr(t, map[string]string{"orders/app.yaml": string(text)}); err != nil {
		t.Fatalf("valid filters: %v", err)
	}
	bad := strings.Replace(string(text), `where: "amount != 0"`, `where: "amont != 0"`, 1)
	err = loadErr(t, map[string]string{"orders/app.yaml": bad})
	if err == nil || !strings.Contains(err.Error(), `exchange party_a: outbound batch_voucher: lines: where: at 0: unknown field "amont"`) {
		t.Errorf("got %v", err)
	}
}
