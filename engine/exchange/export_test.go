package exchange

// SetAfterPublish places a test's crash between a batch's publish and its
// rows being marked sent.
func SetAfterPublish(f func()) { afterPublish = f }
