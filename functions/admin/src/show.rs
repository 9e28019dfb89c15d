//! `show`: a student, an invoice or a payment, read for people.
//!
//! Invariants: identifiers are parsed before the store is asked; nothing is written; times are
//! shown in Vietnam time; every transfer of another amount a payment received is listed, with
//! what the operator must do about it; an invoice and a payment are shown with their history,
//! oldest first: what happened, who did it and the rule that decided.

use std::fmt;

use chrono::{DateTime, Utc};
use hocphi_domain::{
    AuditEvent, Invoice, InvoiceId, Payment, PaymentRef, Receipt, ReceiptId, School, Store,
    StoreError, Student, StudentCode, Subject,
};

use crate::text::{invoice_status, payee_line, payment_status, vnd};
use crate::time;

/// Why something could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    #[error("{what} không hợp lệ: \"{raw}\"")]
    BadId { what: &'static str, raw: String },
    #[error("không tìm thấy {what} \"{id}\"")]
    NotFound { what: &'static str, id: String },
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

fn moment(at: DateTime<Utc>) -> String {
    time::local(at).format("%d/%m/%Y %H:%M").to_string()
}

/// A student with their school and open invoices.
#[derive(Clone, Debug)]
pub struct StudentView {
    pub student: Student,
    pub school: Option<School>,
    pub open: Vec<Invoice>,
}

/// An invoice, whatever its status, with its history.
#[derive(Clone, Debug)]
pub struct InvoiceView {
    pub invoice: Invoice,
    pub history: Vec<AuditEvent>,
}

/// A payment with its invoices (as they stand now) and its receipt.
#[derive(Clone, Debug)]
pub struct PaymentView {
    pub payment: Payment,
    pub invoices: Vec<(InvoiceId, Option<Invoice>)>,
    pub receipt: Option<Receipt>,
    pub history: Vec<AuditEvent>,
}

fn parse<T>(
    raw: &str,
    what: &'static str,
    parse: impl Fn(&str) -> Result<T, hocphi_domain::IdError>,
) -> Result<T, ShowError> {
    parse(raw).map_err(|_| ShowError::BadId {
        what,
        raw: raw.to_owned(),
    })
}

/// A student by code.
pub async fn student<S: Store>(store: &S, code: &str) -> Result<StudentView, ShowError> {
    let code = parse(code, "mã học sinh", StudentCode::parse)?;
    let student = store
        .student(&code)
        .await?
        .ok_or_else(|| ShowError::NotFound {
            what: "học sinh",
            id: code.to_string(),
        })?;
    let school = store.school(&student.school).await?;
    let open = store.open_invoices(&code).await?;
    Ok(StudentView {
        student,
        school,
        open,
    })
}

/// An invoice by id.
pub async fn invoice<S: Store>(store: &S, id: &str) -> Result<InvoiceView, ShowError> {
    let id = parse(id, "mã khoản thu", InvoiceId::parse)?;
    let invoice = store
        .invoice(&id)
        .await?
        .ok_or_else(|| ShowError::NotFound {
            what: "khoản thu",
            id: id.to_string(),
        })?;
    let history = store.history(&Subject::Invoice(id)).await?;
    Ok(InvoiceView { invoice, history })
}

/// A payment by reference.
pub async fn payment<S: Store>(store: &S, reference: &str) -> Result<PaymentView, ShowError> {
    let reference = parse(reference, "mã thanh toán", PaymentRef::parse)?;
    let payment = store
        .payment(&reference)
        .await?
        .ok_or_else(|| ShowError::NotFound {
            what: "giao dịch thanh toán",
            id: reference.to_string(),
        })?;
    let mut invoices = Vec::with_capacity(payment.invoices.len());
    for id in &payment.invoices {
        invoices.push((id.clone(), store.invoice(id).await?));
    }
    let receipt = store.receipt(&ReceiptId::for_payment(&reference)).await?;
    let history = store.history(&Subject::Payment(reference)).await?;
    Ok(PaymentView {
        payment,
        invoices,
        receipt,
        history,
    })
}

fn write_history(f: &mut fmt::Formatter<'_>, history: &[AuditEvent]) -> fmt::Result {
    if history.is_empty() {
        return writeln!(f, "  Lịch sử: chưa ghi nhận thay đổi nào.");
    }
    writeln!(f, "  Lịch sử:")?;
    for event in history {
        write!(
            f,
            "    {}. {} — {} — {}",
            event.seq,
            moment(event.at),
            event.action.label_vi(),
            event.by.label_vi()
        )?;
        match event.rule {
            Some(rule) => writeln!(f, " (vì {})", rule.label_vi())?,
            None => writeln!(f)?,
        }
    }
    Ok(())
}

fn write_invoice(f: &mut fmt::Formatter<'_>, invoice: &Invoice, indent: &str) -> fmt::Result {
    writeln!(
        f,
        "{indent}Khoản thu {} — {}",
        invoice.id,
        invoice_status(invoice.status)
    )?;
    writeln!(
        f,
        "{indent}  Năm học {}, {}, hạn nộp {}",
        invoice.school_year,
        invoice.term,
        invoice.due_date.format("%d/%m/%Y")
    )?;
    for item in invoice.items() {
        writeln!(f, "{indent}  - {}: {}", item.description, item.amount)?;
    }
    writeln!(
        f,
        "{indent}  Tổng: {} ({})",
        invoice.total(),
        invoice.total().in_words()
    )?;
    if let Some(cancel) = &invoice.cancellation {
        writeln!(
            f,
            "{indent}  Huỷ lúc {}: {}",
            moment(cancel.at),
            cancel.reason
        )?;
    }
    Ok(())
}

impl fmt::Display for StudentView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.student;
        writeln!(f, "Học sinh {} — {}, lớp {}", s.code, s.name, s.class_name)?;
        match &self.school {
            Some(school) => {
                writeln!(f, "Trường {} — {}", school.id, school.name)?;
                writeln!(f, "{}", payee_line(school.payee.as_ref()))?;
            }
            None => writeln!(f, "Trường {} (chưa có trong hệ thống)", s.school)?,
        }
        if self.open.is_empty() {
            writeln!(f, "Không có khoản thu nào chưa nộp.")?;
        } else {
            let total: u64 = self.open.iter().map(|i| i.total().vnd()).sum();
            writeln!(
                f,
                "Khoản thu chưa nộp ({}), tổng {}:",
                self.open.len(),
                vnd(total)
            )?;
            for invoice in &self.open {
                write_invoice(f, invoice, "  ")?;
            }
        }
        writeln!(
            f,
            "(Khoản thu đã nộp hoặc đã huỷ: xem bằng \"hocphi-admin show invoice <mã>\".)"
        )
    }
}

impl fmt::Display for InvoiceView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let invoice = &self.invoice;
        write_invoice(f, invoice, "")?;
        writeln!(
            f,
            "  Học sinh {} — {}, lớp {}, trường {}",
            invoice.student, invoice.student_name, invoice.class_name, invoice.school
        )?;
        write_history(f, &self.history)
    }
}

impl fmt::Display for PaymentView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.payment;
        writeln!(
            f,
            "Giao dịch {} — {}",
            p.reference,
            payment_status(p.status)
        )?;
        writeln!(
            f,
            "  {} qua {}, tạo lúc {}, hết hạn lúc {}",
            p.amount,
            p.gateway.display_name(),
            moment(p.created_at),
            moment(p.expires_at)
        )?;
        writeln!(
            f,
            "  Học sinh {} — {}, lớp {}, trường {}, năm học {}",
            p.student, p.student_name, p.class_name, p.school, p.school_year
        )?;
        if let Some(payee) = &p.payee {
            writeln!(f, "  Tài khoản nhận tiền: {payee}")?;
        }
        if let Some(txn) = &p.gateway_txn {
            writeln!(f, "  Mã giao dịch tại cổng: {txn}")?;
        }
        if !p.mismatches.is_empty() {
            writeln!(
                f,
                "  Chuyển sai số tiền ({}), không dùng để nộp khoản thu nào, cần hoàn lại cho phụ huynh:",
                p.mismatches.len()
            )?;
            for m in &p.mismatches {
                writeln!(
                    f,
                    "    - Mã giao dịch {}: {} (đúng phải là {}), nhận lúc {}",
                    m.txn,
                    m.amount,
                    p.amount,
                    moment(m.at)
                )?;
            }
        }
        if let Some(code) = &p.failure_code {
            writeln!(f, "  Mã lỗi của cổng: {code}")?;
        }
        writeln!(f, "  Khoản thu:")?;
        for (id, invoice) in &self.invoices {
            match invoice {
                Some(i) => writeln!(f, "    {id}: {} ({})", i.total(), invoice_status(i.status))?,
                None => writeln!(f, "    {id}: không còn trong hệ thống")?,
            }
        }
        match &self.receipt {
            Some(r) => writeln!(
                f,
                "  Biên lai: mẫu số {}, ký hiệu {}, số {:07}, lập lúc {} (mã {})",
                r.number.template,
                r.number.series,
                r.number.sequence,
                moment(r.issued_at),
                r.id
            )?,
            None => writeln!(f, "  Chưa có biên lai.")?,
        }
        write_history(f, &self.history)
    }
}
