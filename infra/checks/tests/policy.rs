//! The cfn-guard rules of `infra/policy/*.guard` hold for the template and the edge stack, and
//! each rule rejects the mistake it exists for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{failed_rules, read, rule_statuses, template_json, variant};

const RULE_FILES: [&str; 5] = [
    "iam.guard",
    "s3.guard",
    "dynamodb.guard",
    "lambda.guard",
    "logs.guard",
];

fn template_text() -> String {
    read("infra/template.yaml")
}

fn failures_of(text: &str, rule_file: &str) -> Vec<String> {
    failed_rules(&template_json(text), rule_file)
}

#[test]
fn the_template_satisfies_every_rule() {
    let template = template_json(&template_text());

    for file in RULE_FILES {
        let failed = failed_rules(&template, file);

        assert!(failed.is_empty(), "{file}: {failed:?}");
    }
}

#[test]
fn every_rule_that_can_apply_to_the_template_is_evaluated() {
    let template = template_json(&template_text());
    let not_applicable = [
        "iam_policy_statements_are_specific",
        "lambda_functions_are_arm64_al2023",
    ];

    for file in RULE_FILES {
        for (rule, status) in rule_statuses(&template, file) {
            let expected = if not_applicable.contains(&rule.as_str()) {
                "SKIP"
            } else {
                "PASS"
            };

            assert_eq!(status, expected, "{file}: {rule}");
        }
    }
}

#[test]
fn the_edge_stack_satisfies_every_rule() {
    let edge = template_json(&read("infra/policy/waf.yaml"));

    for file in RULE_FILES {
        let failed = failed_rules(&edge, file);

        assert!(failed.is_empty(), "{file}: {failed:?}");
    }
}

#[test]
fn a_wildcard_action_is_rejected() {
    let cases = [
        (
            "every action",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: \"*\"\n                Resource: !GetAtt Table.Arn\n",
        ),
        (
            "every action of a service",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: \"dynamodb:*\"\n                Resource: !GetAtt Table.Arn\n",
        ),
        (
            "a wildcard among specific actions",
            "Action: [dynamodb:PutItem, dynamodb:UpdateItem]",
            "Action: [\"*\", dynamodb:UpdateItem]",
        ),
        (
            "every resource",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: dynamodb:GetItem\n                Resource: !GetAtt Table.Arn\n",
            "Sid: ReadPayment\n                Effect: Allow\n                Action: dynamodb:GetItem\n                Resource: \"*\"\n",
        ),
    ];
    for (case, from, to) in cases {
        let broken = variant(&template_text(), from, to);

        let failed = failures_of(&broken, "iam.guard");

        assert_eq!(failed, ["iam_role_statements_are_specific"], "{case}");
    }
}

#[test]
fn a_function_with_sam_policies_instead_of_its_role_is_rejected() {
    let broken = variant(
        &template_text(),
        "      Role: !GetAtt ReceiptRole.Arn\n",
        "      Policies: [AWSLambdaBasicExecutionRole]\n",
    );

    assert_eq!(
        failures_of(&broken, "iam.guard"),
        ["functions_use_their_own_role"]
    );
}

#[test]
fn a_public_bucket_is_rejected() {
    let cases = [
        (
            "public ACLs allowed",
            "BlockPublicAcls: true",
            "BlockPublicAcls: false",
        ),
        (
            "public policies allowed",
            "RestrictPublicBuckets: true",
            "RestrictPublicBuckets: false",
        ),
        (
            "no public access block",
            "      PublicAccessBlockConfiguration:\n        BlockPublicAcls: true\n        BlockPublicPolicy: true\n        IgnorePublicAcls: true\n        RestrictPublicBuckets: true\n",
            "",
        ),
        (
            "a public-read ACL and website hosting",
            "      OwnershipControls:\n",
            "      AccessControl: PublicRead\n      WebsiteConfiguration: { IndexDocument: index.html }\n      OwnershipControls:\n",
        ),
    ];
    for (case, from, to) in cases {
        let broken = variant(&template_text(), from, to);

        let failed = failures_of(&broken, "s3.guard");

        assert_eq!(failed, ["s3_buckets_block_public_access"], "{case}");
    }
}

#[test]
fn a_bucket_policy_that_lets_anyone_read_is_rejected() {
    for anyone in [
        "\"*\"",
        "{ AWS: \"*\" }",
        "{ AWS: [\"arn:aws:iam::123456789012:root\", \"*\"] }",
    ] {
        let broken = variant(
            &template_text(),
            "            Principal: { Service: cloudfront.amazonaws.com }\n",
            &format!("            Principal: {anyone}\n"),
        );

        assert_eq!(
            failures_of(&broken, "s3.guard"),
            ["s3_bucket_policies_allow_no_one_anonymous"],
            "Principal: {anyone}"
        );
    }
}

#[test]
fn an_unencrypted_bucket_is_rejected() {
    let broken = variant(
        &template_text(),
        "      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: AES256\n",
        "",
    );

    assert_eq!(
        failures_of(&broken, "s3.guard"),
        ["s3_buckets_are_encrypted"]
    );
}

#[test]
fn a_table_that_could_be_lost_is_rejected() {
    let cases = [
        (
            "no point-in-time recovery",
            "PointInTimeRecoveryEnabled: true",
            "PointInTimeRecoveryEnabled: false",
        ),
        (
            "no deletion protection",
            "DeletionProtectionEnabled: true",
            "DeletionProtectionEnabled: false",
        ),
        (
            "deleted with the stack",
            "  Table:\n    Type: AWS::DynamoDB::Table\n    DeletionPolicy: Retain\n",
            "  Table:\n    Type: AWS::DynamoDB::Table\n    DeletionPolicy: Delete\n",
        ),
        (
            "dropped on replacement",
            "    UpdateReplacePolicy: Retain\n    Properties:\n      BillingMode",
            "    Properties:\n      BillingMode",
        ),
        (
            "provisioned capacity",
            "BillingMode: PAY_PER_REQUEST",
            "BillingMode: PROVISIONED",
        ),
        ("not encrypted", "SSEEnabled: true", "SSEEnabled: false"),
    ];
    for (case, from, to) in cases {
        let broken = variant(&template_text(), from, to);

        let failed = failures_of(&broken, "dynamodb.guard");

        assert_eq!(failed, ["dynamodb_tables_are_recoverable"], "{case}");
    }
}

#[test]
fn a_function_off_arm64_or_provided_al2023_is_rejected() {
    let cases = [
        (
            "x86_64 for every function",
            "    Architectures: [arm64]\n",
            "    Architectures: [x86_64]\n",
        ),
        (
            "an older runtime for every function",
            "    Runtime: provided.al2023\n",
            "    Runtime: provided.al2\n",
        ),
        (
            "one function overriding the architecture",
            "      Role: !GetAtt StatusRole.Arn\n",
            "      Role: !GetAtt StatusRole.Arn\n      Architectures: [x86_64]\n",
        ),
        (
            "one function overriding the runtime",
            "      Role: !GetAtt StatusRole.Arn\n",
            "      Role: !GetAtt StatusRole.Arn\n      Runtime: nodejs22.x\n",
        ),
    ];
    for (case, from, to) in cases {
        let broken = variant(&template_text(), from, to);

        let failed = failures_of(&broken, "lambda.guard");

        assert_eq!(failed, ["functions_are_arm64_al2023"], "{case}");
    }
}

#[test]
fn a_log_group_without_retention_or_a_function_without_one_is_rejected() {
    let kept_forever = variant(
        &template_text(),
        "      LogGroupName: !Sub \"/hocphi/${Province}/status\"\n      RetentionInDays: !Ref LogRetentionDays\n",
        "      LogGroupName: !Sub \"/hocphi/${Province}/status\"\n",
    );
    let unmanaged = variant(
        &template_text(),
        "      LoggingConfig:\n        LogGroup: !Ref ReceiptLogGroup\n        LogFormat: Text\n",
        "",
    );

    assert_eq!(
        failures_of(&kept_forever, "logs.guard"),
        ["log_groups_have_retention"]
    );
    assert_eq!(
        failures_of(&unmanaged, "logs.guard"),
        ["functions_log_to_a_managed_group"]
    );
}
