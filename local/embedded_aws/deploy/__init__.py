"""Deploying ``template.yaml`` into the embedded AWS as CloudFormation would (:class:`.deployer.Deployer`):
the template read through SAM's translator (:mod:`.template`), each resource type created through the
embedded AWS's API by the module for its group, custom resources invoked as CloudFormation invokes them."""
