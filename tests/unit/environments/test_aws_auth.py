"""aws-auth's mapRoles, edited as text: our entries (role paths stripped, in the cluster's partition) are
appended after the foreign ones, kept byte for byte; adding twice changes nothing; a role mapped otherwise
is a conflict; removing takes out only what we added."""

from __future__ import annotations

import pytest
import yaml

from batch_on_eks.environments.aws_auth import (
    RoleMapping,
    add_mappings,
    batch_mappings,
    parse_map_roles,
    remove_mappings,
    role_arn_without_path,
)
from batch_on_eks.errors import AwsAuthConflict
from tests.unit.environments.aws_auth_support import (
    ACCOUNT,
    INSTANCE_ROLE_ENTRY,
    NODE_GROUP_ENTRY,
    NODE_GROUP_TEXT,
    OURS,
    SERVICE_ROLE_ENTRY,
)


def test_the_batch_entries_strip_role_paths_and_follow_the_partition() -> None:
    # When the entries are made for an instance role with a path, in the China partition
    mappings = batch_mappings(ACCOUNT, "aws-cn", "arn:aws-cn:iam::123456789012:role/a/b/instance")
    # Then both ARNs carry no path, and the service-linked role is in the same partition
    assert [m.as_dict() for m in mappings] == [
        {"rolearn": "arn:aws-cn:iam::123456789012:role/AWSServiceRoleForBatch", "username": "aws-batch"},
        {**INSTANCE_ROLE_ENTRY, "rolearn": "arn:aws-cn:iam::123456789012:role/instance"},
    ]
    assert role_arn_without_path("arn:aws:iam::1:role/Plain") == "arn:aws:iam::1:role/Plain"
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        role_arn_without_path("arn:aws:iam::1:user/someone")


def test_adding_keeps_the_foreign_entries_text_and_appends_ours() -> None:
    # Given aws-auth with the node group's entry (and a comment)
    # When our entries are added
    text, added = add_mappings(NODE_GROUP_TEXT, OURS)
    # Then the existing text is kept byte for byte, ours follow it, in order
    assert text is not None
    assert text.startswith(NODE_GROUP_TEXT)
    assert parse_map_roles(text) == [NODE_GROUP_ENTRY, SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    assert added == list(OURS)


def test_adding_twice_changes_nothing_and_never_duplicates() -> None:
    # Given aws-auth that already has our entries
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    # When they are added again
    again, added = add_mappings(text, OURS)
    # Then there is nothing to write
    assert (again, added) == (None, [])


def test_an_equal_foreign_entry_is_not_added_again_nor_claimed() -> None:
    # Given someone already mapped the instance role the same way (groups in another order)
    foreign = NODE_GROUP_TEXT + (
        "- rolearn: arn:aws:iam::123456789012:role/doeks-aws-batch-instance\n"
        "  username: system:node:{{EC2PrivateDNSName}}\n"
        "  groups: [system:nodes, system:bootstrappers]\n"
    )
    # When our entries are added
    text, added = add_mappings(foreign, OURS)
    # Then only the service role is added: the instance role entry is theirs, not ours
    assert added == [OURS[0]]
    assert text is not None
    assert len(parse_map_roles(text)) == 3


def test_a_role_mapped_differently_is_a_conflict_for_a_person() -> None:
    # Given the Batch service role mapped to another user
    clash = "- rolearn: arn:aws:iam::123456789012:role/AWSServiceRoleForBatch\n  username: someone\n"
    # When our entries are added, then that is refused, naming the role
    with pytest.raises(AwsAuthConflict, match="AWSServiceRoleForBatch"):
        add_mappings(clash, OURS)


@pytest.mark.parametrize("existing", [None, "", "   \n", "[]"])
def test_adding_to_an_empty_mapping_writes_only_ours(existing: str | None) -> None:
    # Given aws-auth with no mapRoles, or an empty one
    # When our entries are added
    text, added = add_mappings(existing, OURS)
    # Then mapRoles is exactly ours
    assert text is not None
    assert parse_map_roles(text) == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    assert added == list(OURS)


def test_a_flow_style_list_is_rewritten_with_its_entries_in_order() -> None:
    # Given mapRoles written as a flow list (text cannot simply be appended to it)
    flow = '[{"rolearn": "arn:aws:iam::123456789012:role/other", "username": "other", "groups": ["g"]}]'
    # When our entries are added
    text, _ = add_mappings(flow, OURS)
    # Then the foreign entry is still first, unchanged
    assert text is not None
    assert parse_map_roles(text)[0] == yaml.safe_load(flow)[0]
    assert parse_map_roles(text)[1:] == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]


def test_removing_takes_out_only_ours_and_keeps_the_order_of_the_rest() -> None:
    # Given foreign entries before and after ours
    later = {"rolearn": "arn:aws:iam::123456789012:role/later", "username": "later", "groups": ["x"]}
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    assert text is not None
    text += yaml.safe_dump([later])
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then the foreign entries remain, in their order
    assert removed is not None
    assert parse_map_roles(removed) == [NODE_GROUP_ENTRY, later]
    # And removing again finds nothing to do
    assert remove_mappings(removed, OURS) is None


def test_removing_what_was_just_added_gives_back_the_text_as_it_was() -> None:
    # Given ours appended to the node group's entry (with its comment)
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then the text is the one from before, byte for byte
    assert removed == NODE_GROUP_TEXT


def test_removing_leaves_an_identical_entry_someone_else_added_later() -> None:
    # Given ours, and then someone adding the very same service role entry
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    assert text is not None
    text += yaml.safe_dump([SERVICE_ROLE_ENTRY])
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then one copy of the service role entry stays: theirs
    assert removed is not None
    assert parse_map_roles(removed) == [NODE_GROUP_ENTRY, SERVICE_ROLE_ENTRY]


def test_mapping_round_trips_through_the_record() -> None:
    # When a mapping is written as a record entry and read back, then it is the same mapping
    for mapping in OURS:
        assert RoleMapping.from_dict(mapping.as_dict()) == mapping
