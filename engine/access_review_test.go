package engine_test

import (
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
)

// TestPolicyMatchesAuditReport: the policy RoleAccess enforces is the
// who-can-do-what matrix `growth audit-report` shows, line for line, for the
// shipped definitions and the access test definitions.
func TestPolicyMatchesAuditReport(t *testing.T) {
	for name, p := range map[string]*metamodel.Project{
		"shipped": enginetest.LoadDir(t, "../definitions"),
		"access":  enginetest.Load(t, accessDefs),
	} {
		t.Run(name, func(t *testing.T) {
			access, err := engine.NewRoleAccess(p)
			if err != nil {
				t.Fatal(err)
			}
			enforced := map[engine.Permission]bool{}
			for _, perm := range access.Permissions() {
				enforced[perm] = true
			}
			reported := map[engine.Permission]bool{}
			for _, a := range p.Apps {
				for _, m := range review.Matrices(p, a) {
					for _, row := range m.Rows {
						for action := range row.Allowed {
							reported[engine.Permission{App: row.App.Name, Role: row.Role.Name, Scope: row.Role.Scope, Entity: m.Entity.QualifiedName(), Action: action}] = true
						}
					}
				}
			}
			for perm := range reported {
				if !enforced[perm] {
					t.Errorf("the audit report shows %+v, which is not enforced", perm)
				}
			}
			for perm := range enforced {
				if !reported[perm] {
					t.Errorf("%+v is enforced, but the audit report does not show it", perm)
				}
			}
			if len(enforced) == 0 {
				t.Error("no policy at all")
			}
		})
	}
}
