package localbuild

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestLostDaemonWords(t *testing.T) {
	dial := status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial unix /x.sock: connect: no such file or directory"`)
	if got := lostDaemon("unix:///x.sock", dial, false).Error(); !strings.HasPrefix(got, "cannot reach BuildKit at unix:///x.sock: is buildkitd running there?") {
		t.Errorf("never connected: %s", got)
	}
	if got := lostDaemon("unix:///x.sock", dial, true).Error(); !strings.HasPrefix(got, "lost the connection to BuildKit at unix:///x.sock") {
		t.Errorf("connected before: %s", got)
	}
	other := errors.New("process did not complete successfully")
	if got := lostDaemon("unix:///x.sock", other, true); got != other {
		t.Errorf("a build error became %v", got)
	}
}
