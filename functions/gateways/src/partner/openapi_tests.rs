//! The OpenAPI document ([`generic::OPENAPI`]) held to the code: its request examples, signed
//! with [`generic::sign`], verify and parse into the messages they show; every reply [`reply`]
//! can give has a status the document lists for the operation, and the shape its schema
//! declares (a small JSON-schema walker: `$ref`, `oneOf`, `type`, `const`, `enum`, `pattern`,
//! `required`, `properties`, `additionalProperties: false`, `items`, `minItems`,
//! `uniqueItems`); every error code the code answers is in the document's `ErrorCode`, and no
//! other.
//!
//! [`reply`]: generic::reply

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use hocphi_domain::{GatewayTxnNo, InvoiceId, Money, PaymentCode, StudentCode};
use regex::Regex;
use serde_json::Value;

use super::tests::{NOW, bank_request, bill, bill_by_student, id, partners, receipted, refusals};
use super::*;

fn document() -> Value {
    serde_json::from_str(generic::OPENAPI).unwrap()
}

fn resolve<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').unwrap();
        node = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} resolves"));
    }
    node
}

/// Checks `value` against `schema`; the error names where and why.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let passing = alternatives
            .iter()
            .filter(|alt| validate(doc, alt, value, at).is_ok())
            .count();
        if passing != 1 {
            return Err(format!("{at}: {passing} of oneOf's schemas match, not 1"));
        }
    }
    if let Some(expected) = schema.get("const")
        && value != expected
    {
        return Err(format!("{at}: {value} is not {expected}"));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not in the enum"));
    }
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some(other) => return Err(format!("{at}: the walker does not know type {other}")),
    };
    if !type_ok {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) && !Regex::new(pattern).unwrap().is_match(text)
    {
        return Err(format!("{at}: {text:?} does not match {pattern}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: lacks the required {name}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, item) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(doc, property, item, &format!("{at}.{name}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: {name} is not a documented property"));
                }
                None => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        if (items.len() as u64) < min {
            return Err(format!("{at}: fewer than {min} items"));
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            let distinct: BTreeSet<String> = items.iter().map(Value::to_string).collect();
            if distinct.len() != items.len() {
                return Err(format!("{at}: items repeat"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(doc, item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

fn operation(doc: &Value, op: PartnerOp) -> &Value {
    let tail = match op {
        PartnerOp::Bills => "bills",
        PartnerOp::Confirm => "confirmations",
        PartnerOp::Reverse => "reversals",
    };
    &doc["paths"][format!("/api/partners/{{partner}}/{tail}")]["post"]
}

const OPS: [PartnerOp; 3] = [PartnerOp::Bills, PartnerOp::Confirm, PartnerOp::Reverse];

/// What each example shows, by operation and example name.
fn expected_message(op: PartnerOp, name: &str) -> Message {
    let code = || PaymentCode::parse("HS0012345-26K7M2QXAB").unwrap();
    let txn = |raw: &str| GatewayTxnNo::parse(raw).unwrap();
    match (op, name) {
        (PartnerOp::Bills, "by_student") => {
            Message::Bills(BillKey::Student(StudentCode::parse("HS0012345").unwrap()))
        }
        (PartnerOp::Bills, "by_payment_code") => Message::Bills(BillKey::Code(code())),
        (PartnerOp::Confirm, "by_invoices") => Message::Confirm(Confirmation {
            txn: txn("FT26001ABC"),
            bill: BillRef::Invoices(vec![InvoiceId::parse("NQ-2026-HK1-000123").unwrap()]),
            amount: Money::from_vnd(1_500_000).unwrap(),
            paid_at: None,
        }),
        (PartnerOp::Confirm, "by_payment_code") => Message::Confirm(Confirmation {
            txn: txn("FT26001ABD"),
            bill: BillRef::Code(code()),
            amount: Money::from_vnd(1_500_000).unwrap(),
            paid_at: Some(Utc.with_ymd_and_hms(2026, 9, 1, 1, 30, 0).unwrap()),
        }),
        (PartnerOp::Reverse, "reversal") => Message::Reverse(Reversal {
            txn: txn("FT26001ABC"),
        }),
        other => panic!("the document has an example the test does not know: {other:?}"),
    }
}

/// The refusals each operation can meet: the document lists exactly their statuses.
fn meets(op: PartnerOp, refusal: &Refusal) -> bool {
    match refusal {
        Refusal::BadRequest(_) | Refusal::Replayed | Refusal::Unavailable => true,
        Refusal::RateLimited | Refusal::NoBill if op == PartnerOp::Bills => true,
        Refusal::NoBill
        | Refusal::NotCollectable
        | Refusal::AlreadyPaid { .. }
        | Refusal::AmountMismatch { .. }
        | Refusal::TxnReused => op == PartnerOp::Confirm,
        Refusal::UnknownTxn | Refusal::NotReversible(_) => op == PartnerOp::Reverse,
        Refusal::RateLimited => false,
    }
}

#[test]
fn the_document_is_openapi_3_1_with_the_three_partner_operations() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    for op in OPS {
        let operation = operation(&doc, op);
        assert!(operation.is_object(), "{op:?}");
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| resolve(&doc, p)["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            parameters,
            ["partner", "X-Hocphi-Timestamp", "X-Hocphi-Nonce"]
        );
    }
    let scheme = &doc["components"]["securitySchemes"]["hocphiSignature"];
    assert_eq!(scheme["name"], "X-Hocphi-Signature");
    assert!(
        scheme["description"]
            .as_str()
            .unwrap()
            .contains("v1\\n{METHOD}\\n{PATH}\\n{TIMESTAMP}\\n{NONCE}\\n{hex(SHA-256(body))}")
    );
}

#[test]
fn the_documents_signature_example_is_what_sign_computes() {
    let doc = document();
    let example = &doc["x-signature-example"];
    let text = |name: &str| example[name].as_str().unwrap();
    let timestamp: i64 = text("timestamp").parse().unwrap();
    assert_eq!(
        generic::canonical_string(
            text("method"),
            text("path"),
            text("timestamp"),
            text("nonce"),
            text("body").as_bytes()
        ),
        text("canonical")
    );
    assert_eq!(
        generic::sign(
            text("key"),
            text("method"),
            text("path"),
            timestamp,
            text("nonce"),
            text("body")
        ),
        text("signature")
    );
}

#[test]
fn every_request_example_is_valid_and_verifies_into_the_message_it_shows() {
    let doc = document();
    let partners = partners();
    let bank = partners.get(&id("BANKDEMO")).unwrap();
    let mut seen = 0;
    for op in OPS {
        let content = &operation(&doc, op)["requestBody"]["content"]["application/json"];
        for (name, example) in content["examples"].as_object().unwrap() {
            let value = &example["value"];
            validate(&doc, &content["schema"], value, name).unwrap();
            let body = value.to_string();
            let signed = bank_request(op, &body, NOW, "n-0001")
                .verify(bank, NOW)
                .unwrap_or_else(|e| panic!("{op:?} {name}: {e}"));
            assert_eq!(signed.message, expected_message(op, name), "{op:?} {name}");
            seen += 1;
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn bodies_the_code_refuses_are_refused_by_the_schemas_too() {
    let doc = document();
    let cases = [
        (PartnerOp::Bills, r#"{}"#),
        (
            PartnerOp::Bills,
            r#"{"student":"HS0012345","payment_code":"HS0012345-26K7M2QXAB"}"#,
        ),
        (PartnerOp::Bills, r#"{"student":"HS0012345","x":1}"#),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":["A"],"amount":"1.5"}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":["A"],"amount":"-1"}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":["A"],"amount":"1e6"}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":["A"],"amount":1500000}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","amount":"1"}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":[],"amount":"1"}"#,
        ),
        (
            PartnerOp::Confirm,
            r#"{"transaction_id":"FT1","invoice_ids":["A","A"],"amount":"1"}"#,
        ),
        (PartnerOp::Reverse, r#"{"transaction_id":"FT 1"}"#),
    ];
    for (op, body) in cases {
        let schema = &operation(&doc, op)["requestBody"]["content"]["application/json"]["schema"];
        let value: Value = serde_json::from_str(body).unwrap();
        assert!(validate(&doc, schema, &value, "body").is_err(), "{body}");
    }
}

#[test]
fn every_reply_has_a_documented_status_and_the_shape_its_schema_declares() {
    let doc = document();
    let mut answers: Vec<(PartnerOp, Answer)> = vec![
        (PartnerOp::Bills, Answer::Bills(vec![bill()])),
        (PartnerOp::Bills, Answer::Bills(vec![bill_by_student()])),
        (PartnerOp::Bills, Answer::Bills(Vec::new())),
        (PartnerOp::Confirm, Answer::Confirmed(receipted())),
    ];
    for op in OPS {
        for refusal in refusals().into_iter().filter(|r| meets(op, r)) {
            answers.push((op, Answer::Refused(refusal)));
        }
    }
    let mut statuses: Vec<BTreeSet<String>> = vec![BTreeSet::new(); 3];
    for (op, answer) in answers {
        let reply = generic::reply(&answer);
        let status = reply.status.to_string();
        let documented = resolve(&doc, &operation(&doc, op)["responses"][&status]);
        assert!(
            documented.is_object(),
            "{op:?} {answer:?}: {status} is not documented"
        );
        let media = &documented["content"]["application/json"];
        assert!(reply.content_type.unwrap().starts_with("application/json"));
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        validate(&doc, &media["schema"], &body, &format!("{op:?} {status}"))
            .unwrap_or_else(|e| panic!("{answer:?}: {e}"));
        let index = OPS.iter().position(|o| *o == op).unwrap();
        statuses[index].insert(status);
    }
    for (op, seen) in OPS.iter().zip(statuses) {
        let documented: BTreeSet<String> = operation(&doc, *op)["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            documented, seen,
            "{op:?}: a documented status no reply gives, or the reverse"
        );
    }
}

#[test]
fn the_documents_error_codes_are_exactly_the_codes_the_code_answers() {
    let doc = document();
    let documented: BTreeSet<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let answered: BTreeSet<&str> = refusals().iter().map(Refusal::code).collect();
    assert_eq!(documented, answered);
    let per_status: BTreeSet<&str> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.starts_with("Error") && *name != "ErrorCode")
        .flat_map(|(_, schema)| {
            schema["properties"]["error"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
        })
        .collect();
    assert_eq!(per_status, answered);
}
