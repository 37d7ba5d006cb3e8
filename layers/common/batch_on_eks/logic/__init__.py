"""What the control plane does, one function per step; never sees a Lambda event or an HTTP request."""
