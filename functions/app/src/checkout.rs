//! `POST /api/payments`: a parent's payment attempt, made idempotent by its `Idempotency-Key`.
//!
//! Invariants: the same key and body replay the first answer (201 or 409) without doing anything
//! again; the same key with another body is refused, the body's `locale` and `code` aside (a
//! parent who switches language between two taps gets the same payment back; the stored
//! fingerprint keeps nothing of the lookup code, which a hash of it would let a copy of the store
//! guess offline); a request that failed for any other reason
//! releases its key so a retry can run. A payment holds its invoices from the moment it is stored;
//! if the gateway cannot be reached afterwards, the payment is closed at once so the invoices are
//! free again.

use std::net::IpAddr;

use hocphi_api::{CreatePaymentRequest, CreatePaymentResponse};
use hocphi_domain::ConflictReason;
use hocphi_domain::{
    Clock, CreatePaymentError, Fingerprint, GatewayCode, GatewayEvent, GatewayKind,
    IdempotencyBegin, IdempotencyKey, InvoiceId, Payment, PaymentError, PaymentRef, ReceiptToken,
    Store, StoredResponse,
};
use hocphi_gateways::{Checkout, CheckoutContext, Locale};

use crate::{ApiError, App, Field, Transport, random};

/// The route's own name in fingerprints, so a key reused on another route never replays.
const ROUTE: &[u8] = b"POST /api/payments\n";

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Runs a checkout under its idempotency key and answers the response to send (fresh or
    /// replayed).
    pub async fn checkout(
        &self,
        key: Option<&str>,
        body: &[u8],
        client_ip: IpAddr,
    ) -> Result<StoredResponse, ApiError> {
        let key = key.ok_or(ApiError::MissingIdempotencyKey)?;
        let key = IdempotencyKey::parse(key).map_err(|_| ApiError::Invalid {
            field: Field::IdempotencyKey,
            message: "Khoá chống trùng lặp (Idempotency-Key) không hợp lệ.",
        })?;
        let request: CreatePaymentRequest =
            serde_json::from_slice(body).map_err(|_| ApiError::BadJson)?;
        let canonical = serde_json::to_vec(&CreatePaymentRequest {
            locale: None,
            code: String::new(),
            ..request.clone()
        })
        .map_err(|e| ApiError::Internal(e.into()))?;
        let fingerprint = Fingerprint::of(&[ROUTE, &canonical].concat());
        let now = self.clock.now();
        match self
            .store
            .begin_request(&key, fingerprint, now, self.settings.idempotency_lease)
            .await?
        {
            IdempotencyBegin::Started => {}
            IdempotencyBegin::Replay(response) => return Ok(response),
            IdempotencyBegin::InProgress => return Err(ApiError::InProgress),
            IdempotencyBegin::Mismatch => return Err(ApiError::KeyReused),
        }
        let stored = match self.create_payment(&request, client_ip).await {
            Ok(created) => StoredResponse {
                status: 201,
                body: serde_json::to_string(&created).map_err(|e| ApiError::Internal(e.into()))?,
            },
            Err(err @ ApiError::InvoiceUnavailable { .. }) => StoredResponse {
                status: err.parts().0,
                body: serde_json::to_string(&err.body())
                    .map_err(|e| ApiError::Internal(e.into()))?,
            },
            Err(err) => {
                self.store.release_request(&key).await?;
                return Err(err);
            }
        };
        self.store
            .complete_request(
                &key,
                fingerprint,
                &stored,
                self.clock.now(),
                self.settings.idempotency_keep,
            )
            .await?;
        Ok(stored)
    }

    async fn create_payment(
        &self,
        request: &CreatePaymentRequest,
        client_ip: IpAddr,
    ) -> Result<CreatePaymentResponse, ApiError> {
        let kind = GatewayKind::parse(&request.gateway).ok_or(ApiError::Invalid {
            field: Field::Gateway,
            message: "Phương thức thanh toán không hợp lệ.",
        })?;
        let locale = match request.locale.as_deref() {
            None | Some("vi") => Locale::Vietnamese,
            Some("en") => Locale::English,
            Some(_) => {
                return Err(ApiError::Invalid {
                    field: Field::Locale,
                    message: "Ngôn ngữ phải là vi hoặc en.",
                });
            }
        };
        let ids = parse_ids(&request.invoice_ids)?;
        let student = self
            .authenticate(&request.student, &request.code, client_ip)
            .await?;
        self.gateways.get(kind).ok_or(ApiError::GatewayNotOffered)?;
        let mut invoices = Vec::with_capacity(ids.len());
        for id in ids {
            match self.store.invoice(&id).await? {
                Some(invoice) if invoice.student == student.code => invoices.push(invoice),
                Some(_) | None => {
                    return Err(ApiError::InvoiceUnavailable {
                        invoice: id,
                        reason: ConflictReason::Missing,
                    });
                }
            }
        }
        let now = self.clock.now();
        let reference = PaymentRef::generate(now, random()?);
        let payment = Payment::open(reference, &invoices, kind, now, self.settings.time_to_pay)
            .map_err(payment_error)?;
        self.store
            .create_payment(&payment, now)
            .await
            .map_err(|err| match err {
                CreatePaymentError::Conflict { invoice, reason } => {
                    ApiError::InvoiceUnavailable { invoice, reason }
                }
                CreatePaymentError::DuplicateReference => {
                    ApiError::Internal("a generated payment reference collided".into())
                }
                CreatePaymentError::Store(err) => err.into(),
            })?;
        let context = CheckoutContext {
            client_ip,
            locale,
            return_url: format!("{}/ket-qua", self.settings.site_url),
            order_info: format!("Thanh toan hoc phi {} {}", student.code, payment.reference),
            bank_code: None,
            now,
        };
        let redirect_url = match self.redirect(&payment, &context).await {
            Ok(url) => url,
            Err(err) => {
                self.abandon(&payment).await;
                return Err(err);
            }
        };
        tracing::info!(
            payment_ref = %payment.reference,
            gateway = kind.as_str(),
            amount = %payment.amount.vnd(),
            invoices = payment.invoices.len(),
            "payment created"
        );
        Ok(CreatePaymentResponse {
            payment_ref: payment.reference.clone(),
            amount: payment.amount,
            status: payment.status,
            redirect_url,
            expires_at: payment.expires_at,
        })
    }

    async fn redirect(
        &self,
        payment: &Payment,
        context: &CheckoutContext,
    ) -> Result<String, ApiError> {
        let gateway = self
            .gateways
            .get(payment.gateway)
            .ok_or(ApiError::GatewayNotOffered)?;
        match gateway
            .checkout(payment, context)
            .map_err(|e| ApiError::Internal(e.into()))?
        {
            Checkout::Redirect { url } => Ok(url),
            Checkout::Call(call) => {
                let (_, body) = self
                    .transport
                    .send(&call)
                    .await
                    .map_err(|e| ApiError::GatewayUnavailable(e.into()))?;
                gateway
                    .finish_checkout(payment, &body)
                    .map_err(|e| ApiError::GatewayUnavailable(e.into()))
            }
        }
    }

    /// Closes a payment whose gateway step failed, so its invoices are free at once.
    async fn abandon(&self, payment: &Payment) {
        let Ok(code) = GatewayCode::parse("UNREACHABLE") else {
            return;
        };
        let token = ReceiptToken::from_entropy([0; 16]);
        let event = GatewayEvent::Declined { txn: None, code };
        if let Err(err) = self
            .store
            .settle(&payment.reference, &event, self.clock.now(), &token)
            .await
        {
            tracing::error!(payment_ref = %payment.reference, error = %err, "could not close an abandoned payment");
        }
    }
}

fn parse_ids(raw: &[String]) -> Result<Vec<InvoiceId>, ApiError> {
    const INVALID: ApiError = ApiError::Invalid {
        field: Field::InvoiceIds,
        message: "Danh sách khoản thu không hợp lệ.",
    };
    if raw.is_empty() {
        return Err(ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Vui lòng chọn ít nhất một khoản thu.",
        });
    }
    if raw.len() > Payment::MAX_INVOICES {
        return Err(ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Mỗi lần chỉ thanh toán được tối đa 12 khoản thu.",
        });
    }
    raw.iter()
        .map(|id| InvoiceId::parse(id).map_err(|_| INVALID))
        .collect()
}

fn payment_error(err: PaymentError) -> ApiError {
    match err {
        PaymentError::NotOpen(invoice) => ApiError::InvoiceUnavailable {
            invoice,
            reason: ConflictReason::NotOpen,
        },
        PaymentError::Mixed => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Chỉ thanh toán cùng lúc các khoản thu của cùng một trường và cùng năm học.",
        },
        PaymentError::DuplicateInvoice(_)
        | PaymentError::NoInvoices
        | PaymentError::TooManyInvoices(_) => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Danh sách khoản thu không hợp lệ.",
        },
        PaymentError::Amount(_) => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Tổng số tiền vượt quá giới hạn của cổng thanh toán.",
        },
    }
}
